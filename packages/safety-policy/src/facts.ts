import type { Transaction } from 'kysely';
import type { ReviewInput } from './change-schema.js';
import type { ResolvedPolicyConfig } from './config.js';
import type { StoreFacts } from './rules/finding.js';
import type { PolicyStore } from './store/policy-store.js';
import type { PolicyTables } from './store/tables.js';

const HOUR = 3_600_000;

/** Reads what the rules need about `review` from the store, inside the review's transaction. */
export async function gatherFacts(
  store: PolicyStore,
  trx: Transaction<PolicyTables>,
  review: ReviewInput,
  changeHash: string,
  config: ResolvedPolicyConfig,
): Promise<StoreFacts> {
  const { change, now } = review;
  const name = 'name' in change ? change.name : undefined;
  const { kind } = change;
  const agent = change.origin === 'agent';
  const { windowMs, lookbackWindows } = config.trajectory.acceleration;
  // Each rule reads only what its change kinds need; the rest stays empty and costs no query.
  const killSwitch = await store.killSwitch(trx);
  const createdTools = kind === 'create-tool' ? await store.createdTools(trx) : new Set<string>();
  const touchesRules = kind === 'add-learned-rule' || kind === 'change-prompt-section' || kind === 'rollback';
  const learnedRuleExists = touchesRules && name !== undefined ? await store.learnedRuleExists(trx, name) : false;
  const learnedRules = kind === 'add-learned-rule' && agent ? await store.activeLearnedRules(trx) : [];
  const pinnable = kind === 'rewrite-tool' || kind === 'change-prompt-section' || kind === 'rollback' || kind === 'unpin';
  const pinnedInLedger = pinnable && name !== undefined ? await store.pinned(trx, name) : false;
  const usesEnvelope = kind === 'create-tool' || kind === 'rewrite-tool' || kind === 'grant-capability';
  const envelope = usesEnvelope ? [...config.capabilities.envelope, ...(await store.grants(trx))] : [...config.capabilities.envelope];
  const isRewrite = kind === 'rewrite-tool';
  const freeze = isRewrite ? await store.freezeState(trx, change.name) : undefined;
  const rewriteScores = isRewrite ? await store.rewriteScores(trx, change.name, freeze?.id ?? 0, config.trajectory.freezeAfter) : [];
  const rewritesInWindow = isRewrite
    ? await store.effectiveCount(trx, { since: now - config.evolution.rewritesPerTool.windowMs, origin: 'agent', kind: 'rewrite-tool', name: change.name })
    : 0;
  const changesLastHour = agent ? await store.effectiveCount(trx, { since: now - HOUR, origin: 'agent' }) : 0;
  const times = agent ? await store.effectiveTimes(trx, now - (lookbackWindows + 1) * windowMs, 'agent') : [];
  const current = times.filter((at) => at > now - windowMs).length;
  return {
    killSwitch,
    createdTools,
    learnedRuleExists,
    learnedRules,
    pinnedInLedger,
    envelope,
    frozen: freeze?.frozen === true ? { at: freeze.at, reason: freeze.reason } : undefined,
    rewriteScores,
    rewritesInWindow,
    changesLastHour,
    acceleration: { current, previous: times.length - current },
    pendingApprovals: await store.pendingCount(trx),
    existingProposal: await store.proposedWithHash(trx, changeHash),
  };
}
