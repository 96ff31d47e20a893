import type { Rule } from './finding.js';

/** `kill-switch`: the engaged switch refuses every change (a person's too, unless configured otherwise). */
export const killSwitchRule: Rule = ({ review, config, facts }) => {
  if (!facts.killSwitch.engaged) return [];
  if (review.change.origin === 'person' && !config.killSwitch.appliesToPersons) return [];
  const by = facts.killSwitch.by === undefined ? '' : ` by ${facts.killSwitch.by}`;
  const reason = facts.killSwitch.reason === undefined ? '' : ` (${facts.killSwitch.reason})`;
  return [
    {
      rule: 'kill-switch',
      outcome: 'deny',
      detail: `The kill switch is engaged${by}${reason}: no self-modification happens until a person releases it; the active versions keep serving.`,
    },
  ];
};
