import type { ReviewInput } from './change-schema.js';
import type { ResolvedPolicyConfig } from './config.js';
import type { AccelerationStream, CappedRule, SourceOwner, StoreFacts } from './rules/finding.js';
import { sourceHashOf, type Executor, type PolicyStore } from './store/policy-store.js';

const HOUR = 3_600_000;

/**
 * Kinds outside the agent's change budget (`changesPerHour`) and the "changes" acceleration
 * stream: a create-tool counts in its own stream, a widening is an experiment's step (its own
 * stream), and a rollback restores what was in force before (never throttled).
 */
const UNBUDGETED_KINDS = ['create-tool', 'widen-rollout', 'rollback'];

/** The cap's view of the active learned rules: the registry's (`inForce`) when given, else the ledger's. */
function cappedRules(review: ReviewInput, ledger: readonly { name: string; origin: 'agent' | 'person'; addedAt: number }[]): CappedRule[] {
  if (review.inForce === undefined) return ledger.map((rule) => ({ name: rule.name, origin: rule.origin, since: rule.addedAt }));
  return review.inForce.learnedRules
    .map((rule, index) => ({ rule: { name: rule.name, origin: rule.author.kind === 'person' ? ('person' as const) : ('agent' as const), since: rule.since }, index }))
    .sort((a, b) => a.rule.since - b.rule.since || a.index - b.index)
    .map(({ rule }) => rule);
}

/**
 * When each effective agent change of one acceleration stream first happened, since `since`:
 * new tools are the effective `create-tool` changes (the tool-identity rule lets a name be
 * created only once), every other kind is a change.
 */
async function streamTimes(db: Executor, since: number, stream: AccelerationStream): Promise<number[]> {
  const rows = await db
    .selectFrom('toolwright_policy_ledger')
    .select((eb) => eb.fn.min<number | string>('at').as('at'))
    .where('effective', '=', 1)
    .where('origin', '=', 'agent')
    .where('at', '>=', since)
    .where((eb) =>
      stream === 'new-tools'
        ? eb('kind', '=', 'create-tool')
        : stream === 'experiment-steps'
          ? eb('kind', '=', 'widen-rollout')
          : eb.or([eb('kind', 'not in', UNBUDGETED_KINDS), eb('kind', 'is', null)]),
    )
    .groupBy('change_hash')
    .execute();
  return rows.map((row) => Number(row.at));
}

/** Reads what the rules need about `review` from the store, inside the review's transaction (or a plain read for a dry run). */
export async function gatherFacts(store: PolicyStore, db: Executor, review: ReviewInput, changeHash: string, config: ResolvedPolicyConfig): Promise<StoreFacts> {
  const { change, now } = review;
  const name = 'name' in change ? change.name : undefined;
  const { kind } = change;
  const agent = change.origin === 'agent';
  const { windowMs, lookbackWindows } = config.trajectory.acceleration;
  const rewriteWindow = config.evolution.rewritesPerTool.windowMs;
  // Each rule reads only what its change kinds need; the rest stays empty and costs no query.
  const killSwitch = await store.killSwitch(db);
  const createdTools = kind === 'create-tool' ? await store.createdTools(db) : new Set<string>();
  const touchesRules = kind === 'add-learned-rule' || kind === 'change-prompt-section' || kind === 'rollback';
  const inForceNames = new Set(review.inForce?.learnedRules.map((rule) => rule.name) ?? []);
  const learnedRuleExists =
    touchesRules && name !== undefined ? inForceNames.has(name) || (await store.learnedRuleExists(db, name)) : false;
  const readsRules = kind === 'add-learned-rule' || kind === 'change-prompt-section';
  const learnedRules = readsRules ? await store.activeLearnedRules(db) : [];
  const pinnable = kind === 'rewrite-tool' || kind === 'change-prompt-section' || kind === 'rollback' || kind === 'unpin' || kind === 'widen-rollout' || kind === 'promote-version';
  const pinnedInLedger = pinnable && name !== undefined ? await store.pinned(db, name) : false;
  const usesEnvelope = kind === 'create-tool' || kind === 'rewrite-tool' || kind === 'grant-capability';
  const envelope = usesEnvelope ? [...config.capabilities.envelope, ...(await store.grants(db))] : [...config.capabilities.envelope];
  const isRewrite = kind === 'rewrite-tool';
  const freeze = isRewrite ? await store.freezeState(db, change.name) : undefined;
  const rewriteScores = isRewrite ? await store.rewriteScores(db, change.name, freeze?.id ?? 0, config.trajectory.freezeAfter) : [];
  const rewritesInWindow = isRewrite ? await store.effectiveCount(db, { since: now - rewriteWindow, origin: 'agent', kind: 'rewrite-tool', name: change.name }) : 0;
  const sourceOwners: SourceOwner[] = [];
  if (agent && (kind === 'create-tool' || kind === 'rewrite-tool')) {
    // Bounds follow the source, not only the name: a frozen or capped tool's code under a new name is still that tool.
    for (const owner of await store.sourceOwners(db, sourceHashOf(change.source), change.name)) {
      const state = await store.freezeState(db, owner);
      sourceOwners.push({
        name: owner,
        frozen: state?.frozen === true ? { at: state.at, reason: state.reason } : undefined,
        rewritesInWindow: await store.effectiveCount(db, { since: now - rewriteWindow, origin: 'agent', kind: 'rewrite-tool', name: owner }),
      });
    }
  }
  const changesLastHour = agent ? await store.effectiveCount(db, { since: now - HOUR, origin: 'agent', excludeKinds: ['widen-rollout', 'rollback'] }) : 0;
  // A create-tool of a name already created is not a new capability (and tool-identity refuses it).
  const stream: AccelerationStream = kind === 'create-tool' && !createdTools.has(change.name) ? 'new-tools' : kind === 'widen-rollout' ? 'experiment-steps' : 'changes';
  const times = agent ? await streamTimes(db, now - (lookbackWindows + 1) * windowMs, stream) : [];
  return {
    killSwitch,
    createdTools,
    learnedRuleExists,
    learnedRules,
    cappedRules: kind === 'add-learned-rule' ? cappedRules(review, learnedRules) : [],
    sourceOwners,
    pinnedInLedger,
    envelope,
    frozen: freeze?.frozen === true ? { at: freeze.at, reason: freeze.reason } : undefined,
    rewriteScores,
    rewritesInWindow,
    changesLastHour,
    acceleration: { stream, times },
    pendingApprovals: await store.pendingCount(db),
    existingProposal: await store.proposedWithHash(db, changeHash),
  };
}
