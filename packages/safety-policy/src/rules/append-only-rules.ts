import { findContradictions } from '../text/contradiction.js';
import { describeContradiction } from './contradicts-immutable.js';
import type { Finding, Rule } from './finding.js';

/**
 * `append-only-rules`: learned rules are only ever added.
 * - `add-learned-rule` under a name that was ever used (or whose current version the context
 *   carries) is an edit in disguise, refused for every origin: names are identities in an
 *   append-only log.
 * - From the agent: a new rule that negates, weakens or revokes an active learned rule is a
 *   removal disguised as an update; a `change-prompt-section` or `rollback` of a learned rule
 *   edits or removes it.
 */
export const appendOnlyRulesRule: Rule = ({ review, config, facts }) => {
  const change = review.change;
  const findings: Finding[] = [];
  if (change.kind === 'add-learned-rule') {
    if (facts.learnedRuleExists || review.current !== undefined) {
      findings.push({
        rule: 'append-only-rules',
        outcome: 'deny',
        detail: `Learned rule "${change.name}" already exists: learned rules are append-only, so it cannot be replaced, edited or emptied; add a new rule under a new name.`,
      });
    } else if (change.origin === 'agent') {
      const contradictions = findContradictions(
        change.text,
        facts.learnedRules.map((rule) => ({ name: rule.name, text: rule.text })),
        { threshold: config.learnedRules.contradictionThreshold, context: facts.learnedRules.map((rule) => rule.text) },
      );
      if (contradictions.length > 0) {
        findings.push({
          rule: 'append-only-rules',
          outcome: 'deny',
          detail: `${contradictions.map((contradiction) => describeContradiction(contradiction, 'learned rule')).join('; ')}: removing or weakening a learned rule is not an update.`,
        });
      }
    }
  } else if (
    (change.kind === 'change-prompt-section' || change.kind === 'rollback') &&
    change.origin === 'agent' &&
    facts.learnedRuleExists
  ) {
    findings.push({
      rule: 'append-only-rules',
      outcome: 'deny',
      detail: `"${change.name}" is a learned rule: a ${change.kind} would edit or remove it, and learned rules are append-only.`,
    });
  }
  return findings;
};
