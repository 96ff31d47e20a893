// This file imports nothing, so the spec's type graph has no circle through it; the test beside
// it checks that these lists are exactly core's change kinds and gate statuses.

/** Every kind of change, as in `Change['kind']`. */
export const CHANGE_KINDS = [
  'create-tool',
  'rewrite-tool',
  'change-prompt-section',
  'add-learned-rule',
  'grant-capability',
  'pin',
  'unpin',
  'rollback',
  'import-bundle',
  'widen-rollout',
  'promote-version',
] as const;

/** Every gate status, as in `GateOutcome['status']`. */
export const GATE_STATUSES = ['applied', 'queued', 'denied', 'failed-regression', 'failed'] as const;

type Kind = (typeof CHANGE_KINDS)[number];
type Status = (typeof GATE_STATUSES)[number];

/** What the gate writes for one outcome of one kind of change: `create-tool.applied`, `rollback.denied`, … */
export type GateAuditAction = `${Kind}.${Status}`;

const OTHER_ACTIONS = {
  'improve.diagnose': 'The improvement cycle diagnosed a tool as needing a rewrite.',
  'improve.no-candidate': 'The rewriter proposed no candidate for a diagnosed tool.',
  'improve.failed': 'An improvement cycle failed for one tool; the others went on.',
  'policy.allow': 'The policy allowed a change reviewed outside the gate (a dry run records nothing).',
  'policy.deny': 'The policy denied a change reviewed outside the gate.',
  'policy.needs-approval': 'The policy queued a change reviewed outside the gate for a person.',
  'policy.retire-learned-rule': 'The policy retired a learned rule to keep its cap (reviewed outside the gate; through the gate the retirement is part of the rule-adding entry).',
  'policy.freeze': 'The trajectory guard froze an artifact rewritten repeatedly without measured improvement.',
  'policy.unfreeze': 'A person lifted a freeze.',
  'policy.sections-tampered': 'Stored immutable prompt sections failed verification against their declared hashes.',
  'policy.kill-switch.engage': 'The kill switch was engaged: no self-modification happens.',
  'policy.kill-switch.release': 'The kill switch was released.',
  'approval.approve': 'A person approved a queued change (it is applied by the gate in the same transaction).',
  'approval.reject': 'A person rejected a queued change.',
  'approval.refused': 'An approval step was refused (wrong approver, kill switch, caps).',
} as const;

/**
 * Every audit action, with what it means: the catalogue, like {@link ERROR_CODES}. The gate
 * writes `<change kind>.<gate status>`; the other parts write the named actions. A published
 * action never changes meaning.
 */
export const AUDIT_ACTIONS: Readonly<Record<AuditAction, string>> = Object.freeze({
  ...(Object.fromEntries(
    CHANGE_KINDS.flatMap((kind) => GATE_STATUSES.map((status) => [`${kind}.${status}`, `The gate's outcome "${status}" for a ${kind} change.`])),
  ) as Record<GateAuditAction, string>),
  ...OTHER_ACTIONS,
});

/** Every audit action name. */
export type AuditAction = GateAuditAction | keyof typeof OTHER_ACTIONS;

/** The audit action names, for validation. */
export const AUDIT_ACTION_NAMES: readonly AuditAction[] = Object.freeze(Object.keys(AUDIT_ACTIONS) as AuditAction[]);

/** The action the gate records for an outcome. */
export function gateAuditAction(kind: Kind, status: Status): GateAuditAction {
  return `${kind}.${status}`;
}
