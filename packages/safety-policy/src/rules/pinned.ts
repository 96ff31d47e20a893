import { isPinned, type Rule } from './finding.js';

const CHANGING = new Set(['rewrite-tool', 'change-prompt-section', 'rollback', 'unpin', 'widen-rollout', 'promote-version']);

/** `pinned`: the agent never changes (rewrites, rolls back, edits, unpins, widens a rollout of or promotes a version of) a pinned artifact; a person may. */
export const pinnedRule: Rule = (input) => {
  const change = input.review.change;
  if (change.origin !== 'agent' || !CHANGING.has(change.kind) || !('name' in change)) return [];
  if (!isPinned(input)) return [];
  return [
    {
      rule: 'pinned',
      outcome: 'deny',
      detail: `"${change.name}" is pinned: pinned artifacts are never changed automatically (${change.kind} refused); a person may unpin or change it.`,
    },
  ];
};
