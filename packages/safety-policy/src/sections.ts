import { sha256 } from '@toolwright/core';
import { collapseWhitespace, sentencesOf, skeleton } from './text/normalize.js';

/** An immutable prompt section as the policy holds it. */
export interface ImmutableSection {
  readonly name: string;
  readonly text: string;
  /** SHA-256 (hex) of the UTF-8 bytes of `text`. */
  readonly hash: string;
}

/**
 * How a proposed or stored text differs from an immutable section, from most to least subtle:
 * `identical` (same bytes), `whitespace` (only spaces, tabs or line breaks differ),
 * `look-alike` (reads the same: Unicode look-alikes, invisible characters, compatibility forms),
 * `reordered` (the same sentences in another order), `content` (anything else).
 */
export type SectionDifference = 'identical' | 'whitespace' | 'look-alike' | 'reordered' | 'content';

/** Classifies how `candidate` differs from `original`. Immutability itself compares bytes (hashes) only. */
export function classifyDifference(original: string, candidate: string): SectionDifference {
  if (original === candidate) return 'identical';
  if (collapseWhitespace(original) === collapseWhitespace(candidate)) return 'whitespace';
  if (skeleton(original) === skeleton(candidate)) return 'look-alike';
  const sorted = (text: string) => sentencesOf(skeleton(text)).sort().join('\n');
  if (sorted(original) === sorted(candidate)) return 'reordered';
  return 'content';
}

/** Words for a {@link SectionDifference}, for decision details. */
export function describeDifference(difference: SectionDifference): string {
  switch (difference) {
    case 'identical':
      return 'has the same bytes (only a person may write an immutable section, and only with its declared text)';
    case 'whitespace':
      return 'differs only in whitespace';
    case 'look-alike':
      return 'reads the same but uses different code points (Unicode look-alikes, invisible or compatibility characters)';
    case 'reordered':
      return 'has the same sentences in a different order';
    case 'content':
      return 'changes its content';
  }
}

/** One declared section's state in a stored copy. */
export interface SectionCheck {
  readonly name: string;
  /** `intact`: the stored text hashes to the declared hash. `missing`: no stored copy. `tampered`: it does not. */
  readonly status: 'intact' | 'missing' | 'tampered';
  readonly expectedHash: string;
  /** The hash of the stored text, when there is one (the first mismatching copy when there are several). */
  readonly actualHash: string | undefined;
  /** How the stored text differs, when tampered. */
  readonly difference: SectionDifference | undefined;
}

/** The result of `verifySections`. */
export interface SectionVerification {
  /** True when every declared section is present and intact. */
  readonly ok: boolean;
  readonly sections: readonly SectionCheck[];
}

/** A stored copy of a prompt section, e.g. `{ name: version.name, text: version.source }` from the registry. */
export interface StoredSection {
  readonly name: string;
  readonly text: string;
}

/** Compares stored copies against the declared sections by SHA-256 of their bytes. Pure. */
export function checkSections(declared: readonly ImmutableSection[], stored: readonly StoredSection[]): SectionVerification {
  const sections = declared.map((section): SectionCheck => {
    const copies = stored.filter((copy) => copy.name === section.name);
    if (copies.length === 0) {
      return { name: section.name, status: 'missing', expectedHash: section.hash, actualHash: undefined, difference: undefined };
    }
    // Every copy must match: a duplicate with altered text is as much a tamper as a single one.
    const bad = copies.find((copy) => sha256(copy.text) !== section.hash);
    if (bad === undefined) {
      return { name: section.name, status: 'intact', expectedHash: section.hash, actualHash: section.hash, difference: undefined };
    }
    return {
      name: section.name,
      status: 'tampered',
      expectedHash: section.hash,
      actualHash: sha256(bad.text),
      difference: classifyDifference(section.text, bad.text),
    };
  });
  return { ok: sections.every((check) => check.status === 'intact'), sections };
}
