import type { Change } from '@toolwright/core';
import type { Transaction } from 'kysely';
import type { PolicyAuditSink, ResolvedPolicyConfig } from './config.js';
import type { ImmutableSection } from './sections.js';
import type { PolicyStore, RuleOrigin } from './store/policy-store.js';
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
  if (change.kind === 'import-bundle') return { bundleHash: change.bundleHash, names: change.names };
  if (change.kind === 'widen-rollout') return { experimentId: change.experimentId, fromShare: change.fromShare, toShare: change.toShare };
  if (change.kind === 'promote-version' && change.experimentId !== undefined) return { experimentId: change.experimentId };
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
    case 'promote-version':
      return { fromVersion: change.fromVersion, toVersion: change.toVersion };
    case 'widen-rollout':
      return { fromVersion: change.baselineVersion, toVersion: change.version };
    default:
      return {};
  }
}

/** The artifact a change names, for audit entries. */
export function artifactOf(change: Change): { artifact?: string } {
  return 'name' in change ? { artifact: change.name } : {};
}

/**
 * Records an add-learned-rule that took effect, then retires `retire` (what the cap decided,
 * oldest first), each by a recorded ledger row.
 */
export async function addLearnedRule(
  runtime: PolicyRuntime,
  trx: Transaction<PolicyTables>,
  rule: { readonly name: string; readonly text: string; readonly origin: RuleOrigin },
  now: number,
  retire: readonly string[],
): Promise<void> {
  await runtime.store.addLearnedRule(trx, { name: rule.name, text: rule.text, origin: rule.origin, at: now });
  await runtime.store.retireLearnedRules(trx, retire, now);
  const max = runtime.config.learnedRules.max;
  for (const name of retire) {
    await runtime.store.appendLedger(trx, {
      at: now,
      event: 'retire-learned-rule',
      kind: 'add-learned-rule',
      name,
      effective: false,
      data: { reason: `the cap of ${max} active learned rules was reached when "${rule.name}" was added` },
    });
  }
}
