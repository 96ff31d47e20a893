import type { AuditEntryInput, JsonObject } from '@toolwright/core';
import type { PolicyAuditSink } from './config.js';

/** The longest `reason` an audit entry takes. */
const MAX_REASON = 4000;

/** The policy's own actor in the audit log. */
export const POLICY_ACTOR = { kind: 'system', id: 'safety-policy' } as const;

/** Plain JSON of `value`, dropping `undefined` (audit evidence must be JSON). */
export function toJsonObject(value: Record<string, unknown>): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/** Writes one entry when a sink is configured. Failures propagate: an unaudited decision is not silently accepted. */
export async function writeAudit(sink: PolicyAuditSink | undefined, entry: Omit<AuditEntryInput, 'evidence'> & { evidence?: Record<string, unknown> }): Promise<void> {
  if (sink === undefined) return;
  const reason = entry.reason.length > MAX_REASON ? `${entry.reason.slice(0, MAX_REASON - 1)}…` : entry.reason;
  await sink.audit({ ...entry, reason, evidence: toJsonObject(entry.evidence ?? {}) });
}
