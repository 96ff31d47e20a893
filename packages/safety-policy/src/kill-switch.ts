import { parseOrThrow, ToolwrightError, type AuditEntryInput } from '@toolwright/core';
import type { UnitOfWork } from '@toolwright/store';
import { z } from 'zod';
import { POLICY_ACTOR, toJsonObject, writeAudit } from './audit.js';
import type { PolicyAuditSink } from './config.js';
import type { PolicyRuntime } from './runtime.js';
import type { KillSwitchState } from './store/policy-store.js';

/** Who flips the kill switch, and why. */
export interface KillSwitchInput {
  /** The person (or system) acting. */
  readonly by: string;
  readonly reason: string;
}

/**
 * The persisted kill switch: engaged, it stops all self-modification at once (every review is
 * denied with rule `kill-switch`; approvals cannot be approved or applied) while the agent keeps
 * serving its active versions. Shared by every process on the same database.
 */
export interface KillSwitch {
  state(): Promise<KillSwitchState>;
  engage(input: KillSwitchInput): Promise<KillSwitchState>;
  release(input: KillSwitchInput): Promise<KillSwitchState>;
}

const inputSchema = z.object({ by: z.string().min(1).max(200), reason: z.string().min(1).max(4000) }).strict();

/** An audit sink whose `audit` takes `{ unit }` (a Memory of `@toolwright/memory` does): the entry then joins the unit. */
interface UnitAuditSink {
  audit(entry: AuditEntryInput, options?: { readonly unit?: UnitOfWork }): Promise<unknown>;
}

/** True when the sink declares a second parameter, the options a unit is passed in. */
function joinsUnits(sink: PolicyAuditSink): boolean {
  return typeof sink.audit === 'function' && sink.audit.length >= 2;
}

const MAX_REASON = 4000;

/**
 * Sets the switch and audits it. `system` marks the policy acting on its own (a failed section
 * check). With an audit sink that joins units (a Memory of `@toolwright/memory`, created on the
 * policy's database handle), the flip and its audit entry are one transaction: a crash leaves
 * both or neither. A sink without units, or one on another handle, gets the entry after the
 * flip has committed.
 */
export async function setKillSwitch(runtime: PolicyRuntime, engaged: boolean, input: KillSwitchInput, system = false): Promise<KillSwitchState> {
  const at = runtime.clock();
  const state: KillSwitchState = { engaged, by: input.by, reason: input.reason, at };
  const entry = {
    actor: system ? POLICY_ACTOR : ({ kind: 'person', id: input.by } as const),
    action: engaged ? 'policy.kill-switch.engage' : 'policy.kill-switch.release',
    reason: input.reason,
    evidence: { engaged },
  } as const;
  const sink = runtime.audit;
  if (sink !== undefined && joinsUnits(sink)) {
    const reason = entry.reason.length > MAX_REASON ? `${entry.reason.slice(0, MAX_REASON - 1)}…` : entry.reason;
    try {
      await runtime.store.inNewUnit('set the kill switch', async (unit) => {
        await runtime.store.locked('set the kill switch', at, (trx) => runtime.store.setKillSwitch(trx, state, at), unit);
        await (sink as unknown as UnitAuditSink).audit({ ...entry, reason, evidence: toJsonObject(entry.evidence) }, { unit });
      });
      return state;
    } catch (error) {
      // A sink on another database handle refuses the unit (INVALID_ARGUMENT) before writing:
      // nothing was committed, so fall back to the flip, then the entry.
      if (!ToolwrightError.isInstance(error) || error.code !== 'INVALID_ARGUMENT') throw error;
    }
  }
  await runtime.store.locked('set the kill switch', at, (trx) => runtime.store.setKillSwitch(trx, state, at));
  await writeAudit(sink, entry);
  return state;
}

/** The kill switch of one policy. */
export function createKillSwitch(runtime: PolicyRuntime): KillSwitch {
  return {
    async state() {
      return runtime.store.read('read the kill switch', (db) => runtime.store.killSwitch(db));
    },
    async engage(input) {
      return setKillSwitch(runtime, true, parseOrThrow(inputSchema, input, 'kill switch engage'));
    },
    async release(input) {
      return setKillSwitch(runtime, false, parseOrThrow(inputSchema, input, 'kill switch release'));
    },
  };
}
