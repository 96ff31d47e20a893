import { extractDirectives, normalizeInstructionText, type Directive } from './directives.js';

/** A protected text that a proposed text must not contradict. */
export interface ProtectedText {
  readonly name: string;
  readonly text: string;
}

/** One contradiction found between a proposed text and a protected one. */
export interface Contradiction {
  /** The protected text's name. */
  readonly name: string;
  /**
   * `negates`: opposite polarity on the same action ("never X" against "X is fine").
   * `weakens`: same polarity but with an exception carved out ("never X, except ...").
   * `overrides`: tells the reader to ignore the protected instructions, or names the text and revokes it.
   */
  readonly kind: 'negates' | 'weakens' | 'overrides';
  /** The protected sentence (normalised), or the whole text for `overrides`. */
  readonly protectedSentence: string;
  /** The proposed sentence (normalised). */
  readonly proposedSentence: string;
}

/** Options of {@link findContradictions}. */
export interface ContradictionOptions {
  /** Share of the shorter clause's content words the two clauses must have in common, in 0..1. */
  readonly threshold: number;
}

const OVERRIDE_VERBS = '(?:ignore|disregard|forget|override|overrule|bypass|skip|drop|suspend|revoke|cancel|void|retire|supersede|replace|delete|remove)';
const OVERRIDE =
  new RegExp(
    `\\b${OVERRIDE_VERBS}\\b[^.!?;:\\n]*\\b(?:previous|prior|above|earlier|system|immutable|original|all|existing|safety|protected|core|other)\\b[^.!?;:\\n]*\\b(?:instruction|rule|prompt|section|guideline|directive|polic(?:y|ie)|constraint|guardrail)s?\\b`,
  );
const NO_LONGER_BOUND = /\b(?:no longer|not) (?:bound|restricted|constrained) by\b/;
const REVOKING_WORDS = `(?:${OVERRIDE_VERBS.slice(3, -1)}|obsolete|outdated|retired|revoked|superseded|replaced|void|invalid|no longer (?:applies|apply|valid|in effect|active)|does not apply|do not apply)`;

/** Protected texts are reviewed against again and again: their directives are kept, for the most recent texts. */
const PROTECTED_CACHE_SIZE = 512;
const protectedCache = new Map<string, Directive[]>();

function protectedDirectives(text: string): Directive[] {
  const cached = protectedCache.get(text);
  if (cached !== undefined) {
    protectedCache.delete(text);
    protectedCache.set(text, cached);
    return cached;
  }
  const directives = extractDirectives(text, 'protected');
  protectedCache.set(text, directives);
  if (protectedCache.size > PROTECTED_CACHE_SIZE) protectedCache.delete(protectedCache.keys().next().value as string);
  return directives;
}

/** Whether two directives with the same anchor talk about the same action. */
function overlaps(protectedClause: Directive, proposed: Directive, threshold: number): boolean {
  if (protectedClause.head === undefined || proposed.head === undefined) return false;
  const anchored =
    proposed.strength === 'implicit'
      ? proposed.head === protectedClause.head
      : proposed.governed.includes(protectedClause.head) || protectedClause.governed.includes(proposed.head);
  if (!anchored) return false;
  const proposedWords = new Set(proposed.words);
  const shared = protectedClause.governed.filter((word) => proposedWords.has(word)).length;
  // The proposed side counts its subject too: "refunds no longer need verification" is about refunds.
  const shorter = Math.min(protectedClause.governed.length, proposedWords.size);
  if (shorter > 1 && shared < 2) return false;
  return shared / Math.max(1, shorter) >= threshold;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const namingCache = new Map<string, RegExp>();

/** A sentence naming `name` (with -, _, . or a space between its parts) next to a revoking word. */
function namingPattern(name: string): RegExp {
  let pattern = namingCache.get(name);
  if (pattern === undefined) {
    const spelled = escapeRegExp(normalizeInstructionText(name)).replace(/[-_.]/g, '[-_. ]?');
    pattern = new RegExp(`\\b${spelled}\\b[^.!?;:\\n]*\\b${REVOKING_WORDS}\\b|\\b${REVOKING_WORDS}\\b[^.!?;:\\n]*\\b${spelled}\\b`);
    if (namingCache.size >= PROTECTED_CACHE_SIZE) namingCache.delete(namingCache.keys().next().value as string);
    namingCache.set(name, pattern);
  }
  return pattern;
}

/**
 * Finds where `proposed` contradicts any of `protectedTexts`. A documented heuristic, not
 * understanding (see the package README, "Limits"):
 *
 * 1. Both texts are normalised: NFKC, look-alike letters folded to Latin, diacritics and
 *    invisible characters removed, lowercase, contractions expanded.
 * 2. Protected texts yield their strong directives (always / never / must / must not / do not /
 *    should / ensure / avoid ...); the proposed text also yields permissions ("it is fine to"),
 *    weak negations ("no need to", "no longer", "X is optional") and bare imperatives.
 *    A leading negating verb flips polarity ("never skip X" = "always X").
 * 3. Words are stemmed and mapped through small synonym sets (reveal/disclose/share, ...).
 * 4. Two directives are about the same action when one's head verb is governed by the other
 *    and they share at least half of the shorter clause's content words (`threshold`).
 *    Opposite polarity is a contradiction (`negates`); same polarity with an exception
 *    clause is a weakening (`weakens`).
 * 5. Independently, "ignore the previous / system / immutable instructions" and a sentence
 *    that names a protected text together with a revoking word ("obsolete", "superseded")
 *    are `overrides`.
 */
export function findContradictions(
  proposed: string,
  protectedTexts: readonly ProtectedText[],
  options: ContradictionOptions,
): Contradiction[] {
  const found: Contradiction[] = [];
  const normalized = normalizeInstructionText(proposed);
  const proposedDirectives = extractDirectives(proposed, 'proposed');
  const generic = OVERRIDE.exec(normalized) ?? NO_LONGER_BOUND.exec(normalized);
  for (const target of protectedTexts) {
    if (generic !== null) {
      found.push({ name: target.name, kind: 'overrides', protectedSentence: normalizeInstructionText(target.text), proposedSentence: generic[0] });
      continue;
    }
    const named = namingPattern(target.name).exec(normalized);
    if (named !== null) {
      found.push({ name: target.name, kind: 'overrides', protectedSentence: normalizeInstructionText(target.text), proposedSentence: named[0] });
      continue;
    }
    for (const protectedClause of protectedDirectives(target.text)) {
      for (const proposedClause of proposedDirectives) {
        if (!overlaps(protectedClause, proposedClause, options.threshold)) continue;
        const kind =
          proposedClause.polarity !== protectedClause.polarity ? 'negates' : proposedClause.hasException && !protectedClause.hasException ? 'weakens' : undefined;
        if (kind !== undefined) {
          found.push({ name: target.name, kind, protectedSentence: protectedClause.sentence, proposedSentence: proposedClause.sentence });
        }
      }
    }
  }
  return found;
}
