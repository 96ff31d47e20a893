import type { Change } from '@toolwright/core';
import type { Transaction } from 'kysely';
import type { PolicyAuditSink, ResolvedPolicyConfig } from './config.js';
import type { ImmutableSection } from './sections.js';
import type { PolicyStore } from './store/policy-store.js';
import type { PolicyTables } from './store/tables.js';

/** What the parts of one policy share. */
export interface PolicyRuntime {
  readonly store: PolicyStore;
  readonly config: ResolvedPolicyConfig;
  readonly sections: readonly ImmutableSection[];
  readonly audit: PolicyAuditSink | undefined;
  readonly clock: () => number;
}

/** Ledger data kept with an effective change: what later rules need to read back. */
export function ledgerData(change: Change): Record<string, unknown> {
  if (change.kind === 'add-learned-rule') return { text: change.text };
  if (change.kind === 'grant-capability') return { capability: change.capability };
  return {};
}

/** Versions a change names, for audit entries. */
export function versionsOf(change: Change): { fromVersion?: number; toVersion?: number } {
  switch (change.kind) {
    case 'rewrite-tool':
      return { fromVersion: change.fromVersion };
    case 'change-prompt-section':
      return change.fromVersion === undefined ? {} : { fromVersion: change.fromVersion };
    case 'rollback':
      return { fromVersion: change.fromVersion, toVersion: change.toVersion };
    default:
      return {};
  }
}

/** The artifact a change names, for audit entries. */
export function artifactOf(change: Change): { artifact?: string } {
  return 'name' in change ? { artifact: change.name } : {};
}

/**
 * Records an add-learned-rule that took effect, then retires the oldest active rules beyond the
 * cap, each by a recorded ledger row. Returns the retired names, oldest first.
 */
export async function addLearnedRule(
  runtime: PolicyRuntime,
  trx: Transaction<PolicyTables>,
  rule: { readonly name: string; readonly text: string },
  now: number,
): Promise<string[]> {
  await runtime.store.addLearnedRule(trx, { ...rule, at: now });
  const active = await runtime.store.activeLearnedRules(trx);
  const max = runtime.config.learnedRules.max;
  const retired = active.slice(0, Math.max(0, active.length - max)).map((rule) => rule.name);
  await runtime.store.retireLearnedRules(trx, retired, now);
  for (const name of retired) {
    await runtime.store.appendLedger(trx, {
      at: now,
      event: 'retire-learned-rule',
      kind: 'add-learned-rule',
      name,
      effective: false,
      data: { reason: `the cap of ${max} active learned rules was reached` },
    });
  }
  return retired;
}
