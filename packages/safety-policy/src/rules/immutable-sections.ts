import { sha256 } from '@toolwright/core';
import { classifyDifference, describeDifference } from '../sections.js';
import { skeleton } from '../text/normalize.js';
import type { Finding, Rule } from './finding.js';

const short = (hash: string) => hash.slice(0, 12);

/**
 * `immutable-sections`: any change naming an immutable section is denied, whatever its kind and
 * however small (bytes are compared, not meaning) — except a person's `change-prompt-section`
 * whose text is byte for byte the declared one (SHA-256 equal): seeding it at first start, or restoring it. A prompt section or learned rule under
 * another name that reads the same as an immutable section but is spelled differently
 * (look-alikes, invisible characters, whitespace) is denied as an imitation.
 */
export const immutableSectionsRule: Rule = ({ review, sections }) => {
  const change = review.change;
  const name = 'name' in change ? change.name : undefined;
  const section = sections.find((candidate) => candidate.name === name);
  if (section !== undefined && change.kind === 'change-prompt-section' && change.origin === 'person' && sha256(change.text) === section.hash) {
    // Seeding at first start, or restoring what was declared: the text is the declaration itself.
    return [
      {
        rule: 'immutable-sections',
        outcome: 'allow',
        detail: `A person writes immutable section "${section.name}" with exactly its declared text (sha256 ${short(section.hash)}…): seeding or restoring it changes nothing the integrator declared.`,
      },
    ];
  }
  if (section !== undefined) {
    const detail =
      change.kind === 'change-prompt-section'
        ? `"${section.name}" is an immutable section and cannot change: the proposed text ${describeDifference(
            classifyDifference(section.text, change.text),
          )} (sha256 ${short(section.hash)}… → ${short(sha256(change.text))}…).`
        : `"${section.name}" is an immutable section: a ${change.kind} of it is refused; immutable sections are declared by the integrator and never change at run time.`;
    return [{ rule: 'immutable-sections', outcome: 'deny', detail }];
  }
  if (change.kind !== 'change-prompt-section' && change.kind !== 'add-learned-rule') return [];
  const findings: Finding[] = [];
  const proposed = skeleton(change.text);
  for (const protectedSection of sections) {
    if (change.text !== protectedSection.text && proposed === skeleton(protectedSection.text)) {
      findings.push({
        rule: 'immutable-sections',
        outcome: 'deny',
        detail: `"${change.name}" imitates immutable section "${protectedSection.name}": it reads the same but is spelled with different code points (look-alikes, invisible characters or whitespace).`,
      });
    }
  }
  return findings;
};
