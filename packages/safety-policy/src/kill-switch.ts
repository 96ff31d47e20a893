import { parseOrThrow } from '@toolwright/core';
import { z } from 'zod';
import { POLICY_ACTOR, writeAudit } from './audit.js';
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

/** Sets the switch and audits it. `system` marks the policy acting on its own (a failed section check). */
export async function setKillSwitch(runtime: PolicyRuntime, engaged: boolean, input: KillSwitchInput, system = false): Promise<KillSwitchState> {
  await runtime.store.migrate();
  const at = runtime.clock();
  const state: KillSwitchState = { engaged, by: input.by, reason: input.reason, at };
  await runtime.store.locked('set the kill switch', at, (trx) => runtime.store.setKillSwitch(trx, state, at));
  await writeAudit(runtime.audit, {
    actor: system ? POLICY_ACTOR : { kind: 'person', id: input.by },
    action: engaged ? 'policy.kill-switch.engage' : 'policy.kill-switch.release',
    reason: input.reason,
    evidence: { engaged },
  });
  return state;
}

/** The kill switch of one policy. */
export function createKillSwitch(runtime: PolicyRuntime): KillSwitch {
  return {
    async state() {
      await runtime.store.migrate();
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
