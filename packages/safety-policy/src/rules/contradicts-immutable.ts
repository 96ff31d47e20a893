import { findContradictions, type Contradiction } from '../text/contradiction.js';
import type { Rule } from './finding.js';

/** Words for a contradiction, for decision details. */
export function describeContradiction(contradiction: Contradiction, what: string): string {
  switch (contradiction.kind) {
    case 'negates':
      return `"${contradiction.proposedSentence}" negates ${what} "${contradiction.name}" ("${contradiction.protectedSentence}")`;
    case 'weakens':
      return `"${contradiction.proposedSentence}" adds an exception to ${what} "${contradiction.name}" ("${contradiction.protectedSentence}")`;
    case 'overrides':
      return `"${contradiction.proposedSentence}" tries to override ${what} "${contradiction.name}"`;
  }
}

/**
 * `contradicts-immutable`: a learned rule or a prompt section (of any origin) whose text negates,
 * weakens or overrides an instruction of an immutable section is denied, read together with the
 * definitions the active learned rules state. See `findContradictions`.
 */
export const contradictsImmutableRule: Rule = ({ review, config, sections, facts }) => {
  const change = review.change;
  if (change.kind !== 'add-learned-rule' && change.kind !== 'change-prompt-section') return [];
  if (sections.some((section) => section.name === change.name)) return []; // immutable-sections already refuses it
  // The learned rules in force lend their definitions: the last step of a chain is read with the earlier ones.
  const contradictions = findContradictions(change.text, sections, {
    threshold: config.learnedRules.contradictionThreshold,
    context: facts.learnedRules.filter((rule) => rule.name !== change.name).map((rule) => rule.text),
  });
  if (contradictions.length === 0) return [];
  return [
    {
      rule: 'contradicts-immutable',
      outcome: 'deny',
      detail: `${contradictions.map((contradiction) => describeContradiction(contradiction, 'immutable section')).join('; ')}.`,
    },
  ];
};
