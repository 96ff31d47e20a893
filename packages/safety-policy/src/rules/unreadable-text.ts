import { mixedScriptWords } from '../text/normalize.js';
import type { Rule } from './finding.js';

/**
 * `unreadable-text`: a learned rule or prompt section from the agent with words that mix Latin
 * letters and letters of another kind even after look-alikes are folded is denied. A person reads
 * such a word as Latin; the contradiction, revocation and imitation checks see another word, so
 * they could not have caught what it says.
 */
export const unreadableTextRule: Rule = ({ review }) => {
  const change = review.change;
  if (change.origin !== 'agent' || (change.kind !== 'add-learned-rule' && change.kind !== 'change-prompt-section')) return [];
  const words = mixedScriptWords(change.text);
  if (words.length === 0) return [];
  return [
    {
      rule: 'unreadable-text',
      outcome: 'deny',
      detail: `"${change.name}" spells ${words.map((word) => `"${word}"`).join(', ')} with letters of different scripts inside one word: it reads as Latin, but the text checks cannot read it. Write it in plain letters.`,
    },
  ];
};
