import {
  gateAuditAction,
  ToolwrightError,
  type ArtifactVersion,
  type AuditEntryInput,
  type Author,
  type Change,
  type ChangeEvidence,
  type Decision,
  type FailedOutcome,
  type GateStatus,
  type JsonObject,
  type Verdict,
} from '@toolwright/core';
import type { RegistryChange } from '@toolwright/registry';
import type { GateParts, UnitOfWork } from './gate-parts.js';

/** The reasons of a decision, in one line. */
export function decisionText(decision: Decision): string {
  return decision.reasons.map((reason) => `${reason.rule}: ${reason.detail}`).join('; ') || decision.outcome;
}

/** Who wrote the content of a change. */
export function authorOf(change: Change, evidence: ChangeEvidence): Author {
  if (evidence.author !== undefined) return evidence.author;
  return change.origin === 'person' ? { kind: 'person', id: evidence.by ?? 'person' } : { kind: 'model', id: 'agent' };
}

/** Who acted, for the audit log. */
export function actorOf(change: Change, evidence: ChangeEvidence): AuditEntryInput['actor'] {
  if (change.origin === 'person') return { kind: 'person', id: evidence.by ?? 'person' };
  return evidence.author ?? { kind: 'system', id: 'agent' };
}

/** The artifact a change is about, when it is about one. */
export function nameOf(change: Change): string | undefined {
  return 'name' in change ? change.name : undefined;
}

/** What the gate writes to the audit log for one outcome: one entry, referencing the policy's ledger row and the registry's change rows. */
export interface OutcomeRecord {
  readonly change: Change;
  readonly evidence: ChangeEvidence;
  readonly status: GateStatus;
  readonly summary: string;
  readonly decision?: Decision & { readonly ledgerId?: string; readonly changeHash?: string };
  readonly verdict?: Verdict;
  readonly fromVersion?: number;
  readonly toVersion?: number;
  readonly approvalId?: string;
  readonly registryChanges?: readonly RegistryChange[];
  readonly extra?: JsonObject;
  /** The actor, when it is not the proposer (a person applying or rejecting an approval). */
  readonly actor?: AuditEntryInput['actor'];
}

/** Appends the outcome's one audit entry inside the unit; returns its id. */
export async function recordOutcome(parts: GateParts, unit: UnitOfWork | undefined, record: OutcomeRecord): Promise<string> {
  const name = nameOf(record.change);
  const evidence: JsonObject = {
    kind: record.change.kind,
    origin: record.change.origin,
    ...(record.decision === undefined
      ? {}
      : {
          decision: record.decision.outcome,
          rules: record.decision.reasons.map((reason) => reason.rule),
          ...(record.decision.changeHash === undefined ? {} : { changeHash: record.decision.changeHash }),
          ...(record.decision.ledgerId === undefined ? {} : { ledgerId: record.decision.ledgerId }),
        }),
    ...(record.approvalId === undefined ? {} : { approvalId: record.approvalId }),
    ...(record.registryChanges === undefined || record.registryChanges.length === 0 ? {} : { registryChanges: record.registryChanges.map((change) => change.id) }),
    ...(record.verdict === undefined ? {} : { verdict: { decision: record.verdict.decision, ...record.verdict.totals } }),
    ...(record.evidence.taskId === undefined ? {} : { taskId: record.evidence.taskId }),
    ...record.extra,
  };
  const entry = await parts.memory.audit(
    {
      actor: record.actor ?? actorOf(record.change, record.evidence),
      action: gateAuditAction(record.change.kind, record.status),
      ...(name === undefined ? {} : { artifact: name }),
      ...(record.fromVersion === undefined ? {} : { fromVersion: record.fromVersion }),
      ...(record.toVersion === undefined ? {} : { toVersion: record.toVersion }),
      reason: (record.evidence.reason === undefined ? record.summary : `${record.summary} Reason given: ${record.evidence.reason}`).slice(0, 4000),
      evidence,
    },
    unit === undefined ? undefined : { unit },
  );
  return entry.id;
}

/** An error as an outcome's `{ code, message }`. */
export function errorOf(error: unknown): { code: string; message: string } {
  if (ToolwrightError.isInstance(error)) return { code: error.code, message: error.message };
  return { code: 'CRASHED', message: error instanceof Error ? error.message : String(error) };
}

/** The `failed` outcome for an error thrown on the way; nothing it started is in force (the unit rolled back). */
export function failed(change: Change, error: unknown, version?: ArtifactVersion): FailedOutcome {
  const { code, message } = errorOf(error);
  return {
    status: 'failed',
    change,
    error: { code, message: message.slice(0, 4000) },
    summary: `The ${change.kind} failed before it took effect (${code}): ${message.slice(0, 1000)}`,
    ...(version === undefined ? {} : { version }),
  };
}
