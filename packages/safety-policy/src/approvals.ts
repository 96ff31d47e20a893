import {
  parseOrThrow,
  PolicyError,
  ValidationError,
  type ArtifactVersion,
  type Change,
  type DecisionReason,
  type Diagnosis,
  type PolicyContext,
  type Verdict,
} from '@toolwright/core';
import type { InUnit } from '@toolwright/store';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import { writeAudit } from './audit.js';
import { policyContextSchema } from './change-schema.js';
import { evaluateIn, sourceHashOfChange, toDecision, type ParsedReview, type PolicyDecision } from './review.js';
import { addLearnedRule, artifactOf, ledgerData, versionsOf, type PolicyRuntime } from './runtime.js';
import type { ApprovalCandidate, ApprovalRow } from './store/policy-store.js';
import type { PolicyTables } from './store/tables.js';

/** Where a request is: `proposed` → `approved` | `rejected`; `approved` → `applied`. */
export type ApprovalStatus = 'proposed' | 'approved' | 'rejected' | 'applied';

/** What a person sees to decide. */
export interface ApprovalEvidence {
  readonly diagnosis?: Diagnosis;
  readonly verdict?: Verdict;
  /** Line diff of the manifest (tools) and of the source or text against the current version. */
  readonly diff?: string;
}

export type { ApprovalCandidate };

/** One change waiting for (or decided by) a person. */
export interface Approval {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly change: Change;
  /** `contentHash(change)`. */
  readonly changeHash: string;
  readonly evidence: ApprovalEvidence;
  /** Why the review asked for a person. */
  readonly reasons: readonly DecisionReason[];
  readonly proposedAt: number;
  /** Who proposed it: `agent`, a person's id, or `person` when the person was not named. The proposer never decides it. */
  readonly proposedBy: string;
  /** The registered version the request carries (`context.candidate` at review), when there was one. */
  readonly candidate?: ApprovalCandidate;
  /** Who approved or rejected it, and when. */
  readonly decidedBy?: string;
  readonly decidedAt?: number;
  readonly decisionNote?: string;
  /** Who applied it (through the promotion path), and when. */
  readonly appliedBy?: string;
  readonly appliedAt?: number;
}

/** A person's decision, or the promotion path's report that it applied one. */
export interface ApprovalStep {
  /** Who acts: a person's id for approve / reject; the person or process that applied it for markApplied. */
  readonly by: string;
  readonly note?: string;
}

/**
 * Options of `recheck` and `markApplied`: the caller's unit, and what is in force now, read from
 * the registry (the artifact's current version, which carries `pinned`; the active learned rules
 * the cap counts). Without `context`, the policy's own records stand in.
 */
export interface RecheckOptions extends InUnit {
  readonly context?: Pick<PolicyContext, 'now' | 'current' | 'inForce'>;
}

/**
 * The persisted approval queue. A review that needs a person enqueues the change (one open
 * request per identical change). A person approves or rejects it; the gate applies an approved
 * change — `recheck` first, then the registry transition and `markApplied` in one unit. Every
 * step is a compare-and-set, so approving twice, applying twice or applying a rejected change is
 * refused (`POLICY_APPROVAL_CONFLICT`), also across processes.
 *
 * With `{ unit }` a step runs inside the caller's transaction and writes no audit entry of its
 * own (the caller writes one); without, it commits on its own and audits itself.
 *
 * @example
 * ```ts
 * for (const request of await policy.approvals.list({ status: 'proposed' })) {
 *   console.log(request.id, request.change.kind, request.proposedBy, request.reasons, request.evidence.diff);
 * }
 * await runInUnit(database, async (unit) => {
 *   if ((await policy.approvals.recheck(id, { unit })).outcome === 'deny') return;
 *   await policy.approvals.approve(id, { by: 'ana', note: 'origin checked' }, { unit });
 *   // ...the registry transition, in the same unit...
 *   await policy.approvals.markApplied(id, { by: 'ana' }, { unit });
 * });
 * ```
 */
export interface ApprovalQueue {
  /** Requests, oldest first; by default all of them. With `{ unit }`, read inside the caller's transaction. */
  list(filter?: { readonly status?: ApprovalStatus | readonly ApprovalStatus[]; readonly name?: string; readonly limit?: number }, options?: InUnit): Promise<Approval[]>;
  /** One request, or `undefined`. With `{ unit }`, read inside the caller's transaction. */
  get(id: string, options?: InUnit): Promise<Approval | undefined>;
  /**
   * `proposed` → `approved`. Refused while the kill switch is engaged (`POLICY_KILL_SWITCH`), and
   * for an approver who may not decide (`POLICY_APPROVER_REFUSED`): `agent`, `system`, `policy`,
   * `safety-policy`, the proposer, or anyone not on `approvals.approvers` when that list is set.
   */
  approve(id: string, step: ApprovalStep, options?: InUnit): Promise<Approval>;
  /** `proposed` → `rejected`. Refuses the same approvers as `approve`. */
  reject(id: string, step: ApprovalStep, options?: InUnit): Promise<Approval>;
  /**
   * `approved` → `applied`: the change happened and counts toward the caps from now on (an
   * applied learned rule retires what the cap says, like `recheck`'s `retired`). Refused while
   * the kill switch is engaged, and (`POLICY_DENIED`) when `recheck` would deny it now.
   */
  markApplied(id: string, step: ApprovalStep, options?: RecheckOptions): Promise<Approval>;
  /**
   * The queued change's rules again, now: the kill switch, the caps (`maxTools`, rates, the
   * learned-rule cap), pins and freezes — leaving out the rules that only ask for a person. `deny`
   * when it may no longer happen; `allow` (with `retired`, for a learned rule past the cap)
   * otherwise. Records nothing. Only for a `proposed` or `approved` request.
   */
  recheck(id: string, options?: RecheckOptions): Promise<PolicyDecision>;
}

const statusSchema = z.enum(['proposed', 'approved', 'rejected', 'applied']);
const listSchema = z
  .object({
    status: z.union([statusSchema, z.array(statusSchema)]).optional(),
    name: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();
const idSchema = z.string().min(1).max(64);
const stepSchema = z.object({ by: z.string().trim().min(1).max(200), note: z.string().max(4000).optional() }).strict();
const recheckContextSchema = policyContextSchema.pick({ now: true, current: true, inForce: true, target: true });

/** Ids that are never a person deciding: the agent and the system's own actors. */
const NOT_APPROVERS = new Set(['agent', 'system', 'policy', 'safety-policy']);

function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    status: row.status,
    change: row.change,
    changeHash: row.changeHash,
    evidence: row.evidence as ApprovalEvidence,
    reasons: row.reasons,
    proposedAt: row.proposedAt,
    proposedBy: row.proposedBy,
    ...(row.candidate === undefined ? {} : { candidate: row.candidate }),
    ...(row.decidedBy === undefined ? {} : { decidedBy: row.decidedBy }),
    ...(row.decidedAt === undefined ? {} : { decidedAt: row.decidedAt }),
    ...(row.decisionNote === undefined ? {} : { decisionNote: row.decisionNote }),
    ...(row.appliedBy === undefined ? {} : { appliedBy: row.appliedBy }),
    ...(row.appliedAt === undefined ? {} : { appliedAt: row.appliedAt }),
  };
}

type Step = 'approve' | 'reject' | 'apply';
const FROM: Record<Step, ApprovalStatus> = { approve: 'proposed', reject: 'proposed', apply: 'approved' };
const TO: Record<Step, ApprovalStatus> = { approve: 'approved', reject: 'rejected', apply: 'applied' };

/** The queued change as a review the rules can run on again. */
function queuedReview(row: ApprovalRow, context: z.output<typeof recheckContextSchema>, now: number): ParsedReview {
  const evidence = row.evidence as ApprovalEvidence;
  const change = row.change;
  const name = 'name' in change ? change.name : undefined;
  return {
    change,
    name,
    changeHash: row.changeHash,
    input: {
      change,
      now: context.now ?? now,
      current: context.current as ArtifactVersion | undefined,
      diagnosis: evidence.diagnosis,
      verdict: evidence.verdict,
      candidate: undefined,
      inForce: context.inForce,
      // A rollback's target, read again now: a phrase declared since the request was queued is checked too.
      ...(context.target === undefined ? {} : { target: context.target as ArtifactVersion }),
    },
  };
}

/** The approval queue of one policy. */
export function createApprovalQueue(runtime: PolicyRuntime): ApprovalQueue {
  const { store, config } = runtime;

  function notFound(id: string): PolicyError {
    return new PolicyError('POLICY_APPROVAL_NOT_FOUND', `No approval request has id "${id}"; list them with approvals.list().`, { details: { id } });
  }

  /** Why `by` may not decide `row`, if they may not. */
  function approverRefusal(by: string, row: ApprovalRow): string | undefined {
    if (NOT_APPROVERS.has(by.toLowerCase())) return `"${by}" is not a person: the agent and the system never decide a request`;
    if (by === row.proposedBy) return `${by} proposed this change, and nobody approves their own change`;
    const approvers = config.approvals.approvers;
    if (approvers !== undefined && !approvers.includes(by)) return `${by} is not on the approver list (approvals.approvers)`;
    return undefined;
  }

  async function recheckRow(trx: Transaction<PolicyTables>, row: ApprovalRow, rawContext: unknown, now: number): Promise<PolicyDecision> {
    if (row.status !== 'proposed' && row.status !== 'approved') {
      throw new PolicyError(
        'POLICY_APPROVAL_CONFLICT',
        `Request ${row.id} is ${row.status}: only a proposed or approved request can be checked for applying.`,
        { details: { id: row.id, status: row.status } },
      );
    }
    const context = parseOrThrow(recheckContextSchema, rawContext ?? {}, 'recheck context');
    const name = 'name' in row.change ? row.change.name : undefined;
    if (context.current !== undefined && context.current.name !== name) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Invalid recheck context: context.current is a version of "${context.current.name}", but request ${row.id} is about ${name === undefined ? 'no artifact' : `"${name}"`}.`,
      );
    }
    const parsed = queuedReview(row, context, now);
    const { evaluation } = await evaluateIn(runtime, trx, parsed, 'recheck');
    return toDecision(parsed, evaluation, { approvalId: row.id });
  }

  async function move(step: Step, rawId: unknown, rawStep: unknown, options: RecheckOptions = {}): Promise<Approval> {
    const id = parseOrThrow(idSchema, rawId, 'approval id');
    const { by, note } = parseOrThrow(stepSchema, rawStep, `approval ${step}`);
    const { unit } = options;
    const now = runtime.clock();
    let retired: readonly string[] = [];
    try {
      const row = await store.locked(
        `${step} approval ${id}`,
        now,
        async (trx) => {
          const current = await store.approval(trx, id);
          if (current === undefined) throw notFound(id);
          if (step !== 'apply') {
            const refusal = approverRefusal(by, current);
            if (refusal !== undefined) {
              throw new PolicyError('POLICY_APPROVER_REFUSED', `Cannot ${step} request ${id}: ${refusal}. A person other than the proposer decides it.`, {
                details: { id, by },
              });
            }
          }
          if (step !== 'reject' && (await store.killSwitch(trx)).engaged) {
            throw new PolicyError('POLICY_KILL_SWITCH', `Cannot ${step} request ${id}: the kill switch is engaged, so no self-modification happens; release it first.`, {
              details: { id },
            });
          }
          if (current.status !== FROM[step]) {
            throw new PolicyError(
              'POLICY_APPROVAL_CONFLICT',
              `Cannot ${step} request ${id}: it is ${current.status}, and only a ${FROM[step]} request can be ${TO[step]}${
                current.decidedBy === undefined ? '' : ` (decided by ${current.decidedBy})`
              }. Each request is decided once and applied once.`,
              { details: { id, status: current.status } },
            );
          }
          let recheck: PolicyDecision | undefined;
          if (step === 'apply') {
            // The caps, pins and freezes hold at the moment of applying, not only when the change was queued.
            recheck = await recheckRow(trx, current, options.context, now);
            if (recheck.outcome === 'deny') {
              throw new PolicyError(
                'POLICY_DENIED',
                `Cannot apply request ${id}: ${recheck.reasons.map((reason) => `${reason.rule}: ${reason.detail}`).join(' ')} The request stays approved; apply it again when the policy allows, or reject it.`,
                { details: { id, rules: recheck.reasons.map((reason) => reason.rule) } },
              );
            }
          }
          const moved = await store.transition(trx, id, FROM[step], TO[step], {
            ...(step === 'apply' ? { appliedBy: by, appliedAt: now } : { decidedBy: by, decidedAt: now, decisionNote: note ?? null }),
          });
          if (!moved) {
            throw new PolicyError('POLICY_APPROVAL_CONFLICT', `Cannot ${step} request ${id}: another step changed it meanwhile.`, { details: { id, status: current.status } });
          }
          if (step === 'apply') {
            const change = current.change;
            const diagnosis = (current.evidence as ApprovalEvidence).diagnosis;
            const sourceHash = sourceHashOfChange(change);
            await store.appendLedger(trx, {
              at: now,
              event: 'applied',
              kind: change.kind,
              origin: change.origin,
              ...('name' in change ? { name: change.name } : {}),
              changeHash: current.changeHash,
              outcome: 'allow',
              effective: true,
              ...(diagnosis !== undefined && 'name' in change && diagnosis.tool === change.name ? { score: diagnosis.score } : {}),
              ...(sourceHash === undefined ? {} : { sourceHash }),
              data: { ...ledgerData(change), approvalId: id },
            });
            if (change.kind === 'add-learned-rule') {
              if (await store.learnedRuleExists(trx, change.name)) {
                throw new PolicyError(
                  'POLICY_APPROVAL_CONFLICT',
                  `Cannot apply request ${id}: learned rule "${change.name}" was added meanwhile, and learned-rule names are never reused. Reject it and propose the rule under a new name.`,
                  { details: { id, status: current.status } },
                );
              }
              retired = recheck?.retired ?? [];
              await addLearnedRule(runtime, trx, { name: change.name, text: change.text, origin: change.origin }, now, retired);
            }
          }
          return (await store.approval(trx, id)) ?? current;
        },
        unit,
      );
      const approval = toApproval(row);
      if (unit === undefined) {
        await writeAudit(runtime.audit, {
          actor: step === 'apply' ? { kind: 'system', id: by } : { kind: 'person', id: by },
          // Applied outside the gate, the change's own "applied" action says what happened.
          action: step === 'apply' ? `${approval.change.kind}.applied` : `approval.${step}`,
          ...artifactOf(approval.change),
          ...versionsOf(approval.change),
          reason: note ?? `${by} ${TO[step]} request ${id} (${approval.change.kind}).`,
          evidence: {
            approvalId: id,
            changeHash: approval.changeHash,
            kind: approval.change.kind,
            origin: approval.change.origin,
            status: approval.status,
            ...(retired.length === 0 ? {} : { retired }),
          },
        });
      }
      return approval;
    } catch (error) {
      if (unit === undefined && PolicyError.isInstance(error)) {
        await writeAudit(runtime.audit, {
          actor: step === 'apply' || NOT_APPROVERS.has(by.toLowerCase()) ? { kind: 'system', id: by } : { kind: 'person', id: by },
          action: 'approval.refused',
          reason: error.message,
          evidence: { approvalId: id, step, code: error.code },
        });
      }
      throw error;
    }
  }

  return {
    async list(filter = {}, options = {}) {
      const parsed = parseOrThrow(listSchema, filter, 'approval filter');
      const statuses = parsed.status === undefined ? undefined : Array.isArray(parsed.status) ? parsed.status : [parsed.status];
      const rows = await store.read(
        'list approvals',
        (db) =>
          store.approvals(db, {
            ...(statuses === undefined ? {} : { statuses }),
            ...(parsed.name === undefined ? {} : { name: parsed.name }),
            ...(parsed.limit === undefined ? {} : { limit: parsed.limit }),
          }),
        options.unit,
      );
      return rows.map(toApproval);
    },
    async get(rawId, options = {}) {
      const id = parseOrThrow(idSchema, rawId, 'approval id');
      const row = await store.read('read an approval', (db) => store.approval(db, id), options.unit);
      return row === undefined ? undefined : toApproval(row);
    },
    approve: (id, step, options) => move('approve', id, step, options),
    reject: (id, step, options) => move('reject', id, step, options),
    markApplied: (id, step, options) => move('apply', id, step, options),
    async recheck(rawId, options = {}) {
      const id = parseOrThrow(idSchema, rawId, 'approval id');
      const now = runtime.clock();
      return store.locked(
        `recheck approval ${id}`,
        now,
        async (trx) => {
          const row = await store.approval(trx, id);
          if (row === undefined) throw notFound(id);
          return recheckRow(trx, row, options.context, now);
        },
        options.unit,
      );
    },
  };
}
