import { LEARNED_RULE_PREFIX } from '@toolwright/core';
import type { ProtectedPhrase } from '../config.js';
import { findContradictions } from '../text/contradiction.js';
import { collapseWhitespace, sentencesOf, skeleton } from '../text/normalize.js';
import { describeContradiction } from './contradicts-immutable.js';
import type { Finding, Rule, RuleInput } from './finding.js';

/** Words before a protected phrase, in its sentence, that turn keeping it into dropping it ("never say …", "omit …"). */
const NEGATING_LEAD = /\b(?:never|not|don't|dont|do not|no longer|omit|omitting|remove|removing|drop|dropping|skip|skipping|avoid|avoiding|without|instead of|rather than|stop|stop saying|leave out|strike|delete)\b/u;

/** A phrase written as an instruction, which the contradiction heuristic can read ("Always ask …", "Never …"); a disclaimer ("I may be mistaken") is not one. */
const INSTRUCTION = /^\s*(?:always|never|do not|don't|you must|must|you should|you may not)\b/iu;

/** Whether `phrase` applies to the section `name`: exact names, or a prefix ending in `*`. */
export function phraseAppliesTo(phrase: ProtectedPhrase, name: string): boolean {
  if (phrase.appliesTo === undefined) return false;
  return phrase.appliesTo.some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name));
}

/** The skeleton of a phrase's text without its closing punctuation, so "I may be mistaken" keeps "I may be mistaken.". */
const phraseSkeleton = (text: string): string => skeleton(text).replace(/[\s.!?;:,]+$/u, '');

/** Whether `text` contains the phrase (a text: by its skeleton, so spacing and case do not matter; a pattern: case-insensitive, on the text or its skeleton). */
export function containsPhrase(phrase: ProtectedPhrase, text: string): boolean {
  if (phrase.text !== undefined) return skeleton(text).includes(phraseSkeleton(phrase.text));
  const pattern = new RegExp(phrase.pattern ?? '', 'iu');
  return pattern.test(collapseWhitespace(text.normalize('NFKC'))) || pattern.test(skeleton(text));
}

/** The sentences of `text` that state the phrase only to negate it ("Never say 'I may be mistaken'."). */
function negatedMentions(phrase: ProtectedPhrase, text: string): string[] {
  const found: string[] = [];
  for (const sentence of sentencesOf(text)) {
    const folded = skeleton(sentence);
    let at = -1;
    if (phrase.text !== undefined) at = folded.indexOf(phraseSkeleton(phrase.text));
    else {
      const match = new RegExp(phrase.pattern ?? '', 'iu').exec(folded);
      at = match === null ? -1 : match.index;
    }
    if (at > 0 && NEGATING_LEAD.test(folded.slice(0, at))) found.push(sentence);
  }
  return found;
}

const label = (phrase: ProtectedPhrase): string => (phrase.text !== undefined ? `"${phrase.text}"` : `/${phrase.pattern ?? ''}/`);

/** Why `text` weakens `phrase` in words: it states the phrase only to negate it, or negates / overrides a phrase written as an instruction. */
function weakeningReasons(phrase: ProtectedPhrase, text: string, threshold: number): string[] {
  const reasons: string[] = [];
  const negated = negatedMentions(phrase, text);
  if (negated.length > 0) reasons.push(`"${negated[0]}" tells the model to leave protected phrase "${phrase.id}" (${label(phrase)}) out`);
  if (phrase.text !== undefined && INSTRUCTION.test(phrase.text)) {
    const contradictions = findContradictions(text, [{ name: phrase.id, text: phrase.text }], { threshold });
    for (const contradiction of contradictions) reasons.push(describeContradiction(contradiction, 'protected phrase'));
  }
  return reasons;
}

/**
 * `protected-phrases`: the integrator's protected phrases (`protectedPhrases`) must survive
 * every evolution of a prompt section, whoever proposes it and however well the variant scored.
 * A `change-prompt-section` is denied when its new text
 * - drops a phrase that applies to it: one whose `appliesTo` names the section, or — without
 *   `appliesTo` — one the section's current text contains (what is kept may not be lost);
 * - states the phrase only to negate it ("Never say 'I may be mistaken'");
 * - or negates, weakens or overrides a phrase written as an instruction ("Always …", "Never …":
 *   the contradiction heuristic of `contradicts-immutable`, with the phrase as the protected one).
 * An `add-learned-rule` is checked for the last two (a rule adds text; it cannot drop any).
 * A `rollback` of a prompt section is checked as {@link rollbackFindings} says.
 * Immutable sections are left to `immutable-sections`.
 */
export const protectedPhrasesRule: Rule = (input) => {
  const { review, config, sections } = input;
  const change = review.change;
  if (change.kind === 'rollback') return rollbackFindings(input);
  if (change.kind !== 'change-prompt-section' && change.kind !== 'add-learned-rule') return [];
  if (config.protectedPhrases.length === 0) return [];
  if (sections.some((section) => section.name === change.name)) return [];
  const findings: Finding[] = [];
  const isSection = change.kind === 'change-prompt-section' && !change.name.startsWith(LEARNED_RULE_PREFIX);
  const currentText = review.current?.kind === 'prompt-section' && review.current.name === change.name ? review.current.source : undefined;
  for (const phrase of config.protectedPhrases) {
    const reasons: string[] = [];
    if (isSection) {
      const required = phraseAppliesTo(phrase, change.name) || (phrase.appliesTo === undefined && currentText !== undefined && containsPhrase(phrase, currentText));
      if (required && !containsPhrase(phrase, change.text)) {
        reasons.push(
          `the new text of "${change.name}" drops protected phrase "${phrase.id}" (${label(phrase)}), which ${phrase.appliesTo === undefined ? `its current version v${review.current?.version ?? '?'} keeps` : 'every version of it must keep'}`,
        );
      }
    }
    reasons.push(...weakeningReasons(phrase, change.text, config.learnedRules.contradictionThreshold));
    if (reasons.length > 0) {
      findings.push({
        rule: 'protected-phrases',
        outcome: 'deny',
        detail: `${reasons.join('; ')}. Protected phrases are declared by the integrator and no evolved prompt may lose or weaken them, however well it scored; keep the phrase and propose again.`,
      });
    }
  }
  return findings;
};

/**
 * A `rollback` of a prompt section puts an older version's text back in force, so that text must
 * keep what any new text must: the rollback is denied when the target version (`review.target`,
 * which the gate reads from the registry) lacks a phrase whose `appliesTo` names the section — a
 * phrase declared after that version was written, or one it predates — or states a phrase only to
 * negate it, or negates / weakens a phrase written as an instruction. The finding says what to do
 * instead: propose a new version of the section that keeps the phrase.
 *
 * Denied, not queued for a person: a protected phrase is the integrator's declaration, which no
 * one overrides at run time (a person's `change-prompt-section` that drops it is denied too), so a
 * person's approval could not make it right; and denying the rollback takes no way back to safety
 * away: the kill switch stops every change without one, a tool rollback (the usual way back) is
 * not looked at here, the version in force keeps serving, and a new version with the older text
 * plus the phrase restores the older behaviour through the ordinary path. A phrase without
 * `appliesTo` is not required of the target: it declares nothing about the section — it must stay
 * where a version keeps it — and the target version was in force before without it.
 *
 * Without `review.target` (a caller that did not read the version) the text cannot be judged: a
 * rollback of a section some `appliesTo` names then needs a person, who checks the text.
 */
function rollbackFindings({ review, config, sections }: RuleInput): Finding[] {
  const change = review.change;
  if (change.kind !== 'rollback' || config.protectedPhrases.length === 0) return [];
  if (sections.some((section) => section.name === change.name)) return [];
  const { name, toVersion } = change;
  const known = review.target ?? review.current;
  if (known !== undefined && known.kind !== 'prompt-section') return [];
  const isSection = !name.startsWith(LEARNED_RULE_PREFIX);
  const applying = isSection ? config.protectedPhrases.filter((phrase) => phraseAppliesTo(phrase, name)) : [];
  const target = review.target;
  if (target === undefined) {
    if (applying.length === 0) return [];
    return [
      {
        rule: 'protected-phrases',
        outcome: 'needs-approval',
        detail: `Rolling "${name}" back to v${toVersion}: protected phrase${applying.length === 1 ? '' : 's'} ${applying.map((phrase) => `"${phrase.id}" (${label(phrase)})`).join(', ')} must be in every version of it, and the policy was not given the text of v${toVersion} (context.target) to check; a person checks that it keeps ${applying.length === 1 ? 'it' : 'them'}. Callers: pass the version the rollback puts back in force as context.target.`,
      },
    ];
  }
  const findings: Finding[] = [];
  for (const phrase of config.protectedPhrases) {
    const reasons: string[] = [];
    if (applying.includes(phrase) && !containsPhrase(phrase, target.source)) {
      reasons.push(`v${toVersion} of "${name}" lacks protected phrase "${phrase.id}" (${label(phrase)}), which every version of it in force must keep`);
    }
    reasons.push(...weakeningReasons(phrase, target.source, config.learnedRules.contradictionThreshold).map((reason) => `in v${toVersion}: ${reason}`));
    if (reasons.length > 0) {
      findings.push({
        rule: 'protected-phrases',
        outcome: 'deny',
        detail: `Rolling "${name}" back from v${change.fromVersion} to v${toVersion} would put text in force that loses or weakens a protected phrase: ${reasons.join('; ')}. Protected phrases are declared by the integrator and a restored version must keep them too; propose a new version of "${name}" that keeps the phrase instead (v${toVersion}'s text with the phrase, as a change-prompt-section).`,
      });
    }
  }
  return findings;
}
