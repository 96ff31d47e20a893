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
 * weakens or overrides an instruction of an immutable section is denied. See `findContradictions`.
 */
export const contradictsImmutableRule: Rule = ({ review, config, sections }) => {
  const change = review.change;
  if (change.kind !== 'add-learned-rule' && change.kind !== 'change-prompt-section') return [];
  if (sections.some((section) => section.name === change.name)) return []; // immutable-sections already refuses it
  const contradictions = findContradictions(change.text, sections, { threshold: config.learnedRules.contradictionThreshold });
  if (contradictions.length === 0) return [];
  return [
    {
      rule: 'contradicts-immutable',
      outcome: 'deny',
      detail: `${contradictions.map((contradiction) => describeContradiction(contradiction, 'immutable section')).join('; ')}.`,
    },
  ];
};
