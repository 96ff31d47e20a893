/**
 * Every rule the policy applies, by its stable name (the `rule` of a `DecisionReason`), with
 * what it decides. Names never change meaning once published; switch on them.
 */
export const POLICY_RULES = {
  'kill-switch': 'The persisted kill switch is engaged: no self-modification happens; active versions keep serving.',
  'immutable-sections': 'Immutable prompt sections never change: any change naming one is denied, however small, and look-alike imitations are denied too; only a person may write one, with exactly its declared text.',
  'unreadable-text': 'A learned rule or prompt section from the agent that mixes scripts inside a word (look-alikes the checks cannot fold) is denied.',
  'contradicts-immutable': 'A learned rule or prompt section that negates, weakens or overrides an immutable section is denied.',
  'protected-phrases': "A prompt section's new text that drops a protected phrase it must keep (the integrator's `protectedPhrases`), or a prompt section or learned rule that negates or weakens one, is denied, however well it scored.",
  'append-only-rules': 'Learned rules are append-only: the agent may add rules under new names, never edit, remove, revoke or negate one.',
  'learned-rule-cap': "At most N learned rules are active (the registry's, when given); adding one more retires the oldest by a recorded change, an agent's rule only the agent's; when none may retire, it is denied.",
  'pinned': 'A pinned artifact is never changed automatically (a person may change it).',
  'capability-envelope': 'Tools may request only capabilities inside the envelope; sources may not use the network beyond what they declare.',
  'envelope-widening': 'Widening the capability envelope is never automatic.',
  'tool-identity': 'create-tool may not reuse the name of an existing tool (that is a rewrite).',
  'max-tools': 'The agent may create at most maxTools tools.',
  'rewrite-rate': 'The agent may rewrite one tool at most rewritesPerTool.max times per window.',
  'change-rate': 'The agent may make at most changesPerHour changes in any hour.',
  'approval-queue-full': 'Changes that need a person are refused while too many requests already wait.',
  'trajectory-freeze': 'A tool rewritten repeatedly without measured improvement is frozen until a person unfreezes it; its source stays frozen under any name.',
  'metric-gaming': 'A candidate whose outputs differ from golden outputs while it gets faster is denied.',
  'trajectory-acceleration': 'An accelerating rate of changes throttles the agent.',
  'regression-verdict': 'A tool change is denied when its regression verdict rejects it, is about another tool, or contradicts itself.',
  'risk-approval': "Risk-based approval: pure, tested tools are allowed; network tools, prompt changes, the agent's learned rules and bundle imports need a person, and so do widening a rollout of or promoting a network tool or a prompt section.",
} as const;

/** The name of a policy rule; see {@link POLICY_RULES}. */
export type PolicyRuleName = keyof typeof POLICY_RULES;
