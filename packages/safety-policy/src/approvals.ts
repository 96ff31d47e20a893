import { parseOrThrow, PolicyError, type Change, type DecisionReason, type Diagnosis, type Verdict } from '@toolwright/core';
import { z } from 'zod';
import { addLearnedRule, artifactOf, ledgerData, versionsOf, type PolicyRuntime } from './runtime.js';
import { writeAudit } from './audit.js';
import type { ApprovalRow } from './store/policy-store.js';

/** Where a request is: `proposed` → `approved` | `rejected`; `approved` → `applied`. */
export type ApprovalStatus = 'proposed' | 'approved' | 'rejected' | 'applied';

/** What a person sees to decide. */
export interface ApprovalEvidence {
  readonly diagnosis?: Diagnosis;
  readonly verdict?: Verdict;
  /** Line diff of the manifest (tools) and of the source or text against the current version. */
  readonly diff?: string;
}

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
 * The persisted approval queue. A review that needs a person enqueues the change (one open
 * request per identical change). A person approves or rejects it; the integrator applies an
 * approved change through the same promotion path as an automatic one and then calls
 * `markApplied`. Every step is a compare-and-set, so approving twice, applying twice or
 * applying a rejected change is refused (`POLICY_APPROVAL_CONFLICT`), also across processes.
 *
 * @example
 * ```ts
 * for (const request of await policy.approvals.list({ status: 'proposed' })) {
 *   console.log(request.id, request.change.kind, request.reasons, request.evidence.diff);
 * }
 * await policy.approvals.approve(id, { by: 'ana', note: 'origin checked' });
 * // ...promote through the registry, then:
 * await policy.approvals.markApplied(id, { by: 'improvement-cycle' });
 * ```
 */
export interface ApprovalQueue {
  /** Requests, oldest first; by default all of them. */
  list(filter?: { readonly status?: ApprovalStatus | readonly ApprovalStatus[]; readonly name?: string; readonly limit?: number }): Promise<Approval[]>;
  get(id: string): Promise<Approval | undefined>;
  /** `proposed` → `approved`. Refused while the kill switch is engaged. */
  approve(id: string, step: ApprovalStep): Promise<Approval>;
  /** `proposed` → `rejected`. */
  reject(id: string, step: ApprovalStep): Promise<Approval>;
  /** `approved` → `applied`: the change happened. It now counts toward the caps. Refused while the kill switch is engaged. */
  markApplied(id: string, step: ApprovalStep): Promise<Approval>;
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
const stepSchema = z.object({ by: z.string().min(1).max(200), note: z.string().max(4000).optional() }).strict();

function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    status: row.status,
    change: row.change,
    changeHash: row.changeHash,
    evidence: row.evidence as ApprovalEvidence,
    reasons: row.reasons,
    proposedAt: row.proposedAt,
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

/** The approval queue of one policy. */
export function createApprovalQueue(runtime: PolicyRuntime): ApprovalQueue {
  const { store } = runtime;

  async function move(step: Step, rawId: unknown, rawStep: unknown): Promise<Approval> {
    const id = parseOrThrow(idSchema, rawId, 'approval id');
    const { by, note } = parseOrThrow(stepSchema, rawStep, `approval ${step}`);
    await store.migrate();
    const now = runtime.clock();
    let retired: string[] = [];
    try {
      const row = await store.locked(`${step} approval ${id}`, now, async (trx) => {
        const current = await store.approval(trx, id);
        if (current === undefined) {
          throw new PolicyError('POLICY_APPROVAL_NOT_FOUND', `No approval request has id "${id}"; list them with approvals.list().`, { details: { id } });
        }
        if (step !== 'reject' && (await store.killSwitch(trx)).engaged) {
          throw new PolicyError(
            'POLICY_KILL_SWITCH',
            `Cannot ${step} request ${id}: the kill switch is engaged, so no self-modification happens; release it first.`,
            { details: { id } },
          );
        }
        const moved = await store.transition(trx, id, FROM[step], TO[step], {
          ...(step === 'apply' ? { appliedBy: by, appliedAt: now } : { decidedBy: by, decidedAt: now, decisionNote: note ?? null }),
        });
        if (!moved) {
          throw new PolicyError(
            'POLICY_APPROVAL_CONFLICT',
            `Cannot ${step} request ${id}: it is ${current.status}, and only a ${FROM[step]} request can be ${TO[step]}${
              current.decidedBy === undefined ? '' : ` (decided by ${current.decidedBy})`
            }. Each request is decided once and applied once.`,
            { details: { id, status: current.status } },
          );
        }
        if (step === 'apply') {
          const change = current.change;
          const diagnosis = (current.evidence as ApprovalEvidence).diagnosis;
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
            retired = await addLearnedRule(runtime, trx, change, now);
          }
        }
        const updated = await store.approval(trx, id);
        return updated ?? current;
      });
      const approval = toApproval(row);
      await writeAudit(runtime.audit, {
        actor: step === 'apply' ? { kind: 'system', id: by } : { kind: 'person', id: by },
        action: step === 'apply' ? 'approval.applied' : `approval.${step}`,
        ...artifactOf(approval.change),
        ...versionsOf(approval.change),
        reason: note ?? `${by} ${TO[step]} request ${id} (${approval.change.kind}).`,
        evidence: { approvalId: id, changeHash: approval.changeHash, kind: approval.change.kind, origin: approval.change.origin, status: approval.status, retired },
      });
      for (const name of retired) {
        await writeAudit(runtime.audit, {
          actor: { kind: 'system', id: 'safety-policy' },
          action: 'policy.retire-learned-rule',
          artifact: name,
          reason: `Learned rule "${name}" retired: the cap of ${runtime.config.learnedRules.max} active rules was reached when request ${id} was applied.`,
          evidence: { approvalId: id },
        });
      }
      return approval;
    } catch (error) {
      if (PolicyError.isInstance(error)) {
        await writeAudit(runtime.audit, {
          actor: step === 'apply' ? { kind: 'system', id: by } : { kind: 'person', id: by },
          action: 'approval.refused',
          reason: error.message,
          evidence: { approvalId: id, step, code: error.code },
        });
      }
      throw error;
    }
  }

  return {
    async list(filter = {}) {
      const parsed = parseOrThrow(listSchema, filter, 'approval filter');
      await store.migrate();
      const statuses = parsed.status === undefined ? undefined : Array.isArray(parsed.status) ? parsed.status : [parsed.status];
      const rows = await store.read('list approvals', (db) =>
        store.approvals(db, {
          ...(statuses === undefined ? {} : { statuses }),
          ...(parsed.name === undefined ? {} : { name: parsed.name }),
          ...(parsed.limit === undefined ? {} : { limit: parsed.limit }),
        }),
      );
      return rows.map(toApproval);
    },
    async get(rawId) {
      const id = parseOrThrow(idSchema, rawId, 'approval id');
      await store.migrate();
      const row = await store.read('read an approval', (db) => store.approval(db, id));
      return row === undefined ? undefined : toApproval(row);
    },
    approve: (id, step) => move('approve', id, step),
    reject: (id, step) => move('reject', id, step),
    markApplied: (id, step) => move('apply', id, step),
  };
}
