import type { Rule } from './finding.js';

const quoted = (names: readonly string[]) => names.map((name) => `"${name}"`).join(', ');

/**
 * `learned-rule-cap`: at most `learnedRules.max` learned rules are active — counted from
 * `context.inForce` (the registry, the truth of what is in force) when the caller passes it, else
 * from the ledger. Adding one past the cap retires the oldest (`Finding.retire`, then
 * `decision.retired`), by a recorded change. An agent's rule retires only agent-authored rules:
 * a person's rule is never pushed out by the agent. When nothing may be retired, the rule is denied.
 */
export const learnedRuleCapRule: Rule = ({ review, config, facts }) => {
  const change = review.change;
  if (change.kind !== 'add-learned-rule') return [];
  const { max } = config.learnedRules;
  const active = facts.cappedRules;
  const excess = active.length + 1 - max;
  if (excess <= 0) return [];
  const agent = change.origin === 'agent';
  const retirable = agent ? active.filter((rule) => rule.origin === 'agent') : active;
  if (retirable.length < excess) {
    return [
      {
        rule: 'learned-rule-cap',
        outcome: 'deny',
        detail: `${active.length} learned rules are active and the cap is ${max}: adding "${change.name}" would retire ${excess} rule(s), but ${
          retirable.length === 0 ? 'none of them is' : `only ${retirable.length} of them ${retirable.length === 1 ? 'is' : 'are'}`
        } the agent's, and an agent's rule never retires a person's. A person must retire a rule (or raise learnedRules.max) first.`,
      },
    ];
  }
  const retire = retirable.slice(0, excess).map((rule) => rule.name);
  return [
    {
      rule: 'learned-rule-cap',
      outcome: 'allow',
      retire,
      detail: `The cap of ${max} active learned rules is reached: the oldest${agent ? ' agent-authored' : ''} (${quoted(retire)}) is retired by a recorded change.`,
    },
  ];
};
