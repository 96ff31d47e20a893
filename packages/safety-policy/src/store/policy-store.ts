import { sha256, type Capability, type Change, type DecisionReason } from '@toolwright/core';
import { joinOrRunUnit, runInUnit, runMigrations, toStorageError, type UnitOfWork } from '@toolwright/store';
import type { Kysely, Transaction } from 'kysely';
import type { PolicyDatabase } from '../database.js';
import { POLICY_MIGRATION_TABLE, policyMigrations } from './migrations.js';
import type { PolicyApprovalTable, PolicyLedgerTable, PolicyTables } from './tables.js';

/** Either the database or an open transaction on it. */
export type Executor = Kysely<PolicyTables> | Transaction<PolicyTables>;

/** The persisted kill switch. */
export interface KillSwitchState {
  readonly engaged: boolean;
  /** Who last engaged or released it. */
  readonly by?: string;
  readonly reason?: string;
  /** Epoch ms of the last engage or release. */
  readonly at?: number;
}

/** A ledger row to append. */
export interface LedgerInsert {
  readonly at: number;
  readonly event: PolicyLedgerTable['event'];
  readonly kind?: string;
  readonly origin?: string;
  readonly name?: string;
  readonly changeHash?: string;
  readonly outcome?: string;
  readonly effective: boolean;
  readonly score?: number;
  /** For tool changes: see {@link sourceHashOf}. */
  readonly sourceHash?: string;
  readonly data?: Record<string, unknown>;
}

/** Who adds a learned rule, as far as the cap cares. */
export type RuleOrigin = 'agent' | 'person';

/** A learned rule in the ledger. */
export interface LedgerRule {
  readonly name: string;
  readonly text: string;
  readonly addedAt: number;
  /** Who added it: an agent's rule never retires a person's. */
  readonly origin: RuleOrigin;
}

/** The registered version an approval request carries. */
export interface ApprovalCandidate {
  readonly name: string;
  readonly version: number;
  readonly contentHash: string;
}

/** The row of an approval request, decoded. */
export interface ApprovalRow {
  readonly id: string;
  readonly status: PolicyApprovalTable['status'];
  readonly changeHash: string;
  readonly change: Change;
  readonly evidence: Record<string, unknown>;
  readonly reasons: readonly DecisionReason[];
  readonly proposedAt: number;
  readonly decidedBy: string | undefined;
  readonly decidedAt: number | undefined;
  readonly decisionNote: string | undefined;
  readonly appliedBy: string | undefined;
  readonly appliedAt: number | undefined;
  readonly proposedBy: string;
  readonly candidate: ApprovalCandidate | undefined;
}

function toNumber(value: number | string | bigint | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}

function optionalNumber(value: number | string | null): number | undefined {
  return value === null ? undefined : Number(value);
}

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/**
 * The identity of a tool's source for the bounds: SHA-256 of the source with every run of
 * whitespace collapsed, so re-indenting it does not make it new.
 */
export function sourceHashOf(source: string): string {
  return sha256(source.replace(/\s+/g, ' ').trim());
}

/** Wraps driver failures in a `StorageError` (see `toStorageError`); Toolwright errors pass through. */
async function storage<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStorageError(error, `trying to ${what} (safety policy)`);
  }
}

/** The policy's persistence: kill switch, approval queue, ledger. Owns its tables and migrations. */
export class PolicyStore {
  readonly #database: PolicyDatabase;
  readonly #db: Kysely<PolicyTables>;
  #migrated: Promise<void> | undefined;

  constructor(database: PolicyDatabase) {
    this.#database = database;
    this.#db = database.kysely as Kysely<PolicyTables>;
  }

  /** Runs the policy's migrations once per store (idempotent across processes). */
  migrate(): Promise<void> {
    this.#migrated ??= this.#runMigrations().catch((error: unknown) => {
      this.#migrated = undefined;
      throw error;
    });
    return this.#migrated;
  }

  #runMigrations(): Promise<void> {
    // The tables are recorded in the policy's own migration table, as they always were, so
    // databases migrated by earlier versions (which applied migrations without kysely's
    // Migrator, in the same layout) open unchanged.
    return runMigrations(this.#database, { owner: '@toolwright/safety-policy', table: POLICY_MIGRATION_TABLE, migrations: policyMigrations(this.#database.dialect) });
  }

  /**
   * Runs `work` holding the policy's write lock (a row lock on PostgreSQL, the database write
   * lock on SQLite), so two reviews never both pass a cap: inside `unit` when one is given (the
   * lock is then held until the caller's transaction ends), else in a transaction of its own.
   */
  locked<T>(what: string, now: number, work: (trx: Transaction<PolicyTables>) => Promise<T>, unit?: UnitOfWork): Promise<T> {
    return storage(what, () =>
      joinOrRunUnit(this.#database, unit, async (joined) => {
        const trx = joined.kysely as Transaction<PolicyTables>;
        // The policy's first statement writes, so the lock is taken before it reads anything.
        await trx
          .insertInto('toolwright_policy_state')
          .values({ key: 'review-lock', value: '0', updated_at: now })
          .onConflict((conflict) => conflict.column('key').doUpdateSet({ updated_at: now }))
          .execute();
        return work(trx);
      }),
    );
  }

  /** Runs `work` in a new unit of work on the policy's database (to share one transaction with another store), wrapping failures. */
  inNewUnit<T>(what: string, work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
    return storage(what, () => runInUnit(this.#database, work));
  }

  /** Runs `work` against the database (or inside `unit`, without taking the lock), wrapping failures. */
  read<T>(what: string, work: (db: Executor) => Promise<T>, unit?: UnitOfWork): Promise<T> {
    if (unit !== undefined) {
      return storage(what, () => joinOrRunUnit(this.#database, unit, (joined) => work(joined.kysely as Transaction<PolicyTables>)));
    }
    return storage(what, () => work(this.#db));
  }

  async killSwitch(db: Executor): Promise<KillSwitchState> {
    const row = await db.selectFrom('toolwright_policy_state').select('value').where('key', '=', 'kill-switch').executeTakeFirst();
    return row === undefined ? { engaged: false } : parseJson<KillSwitchState>(row.value);
  }

  async setKillSwitch(db: Executor, state: KillSwitchState, now: number): Promise<void> {
    const value = JSON.stringify(state);
    await db
      .insertInto('toolwright_policy_state')
      .values({ key: 'kill-switch', value, updated_at: now })
      .onConflict((conflict) => conflict.column('key').doUpdateSet({ value, updated_at: now }))
      .execute();
  }

  /** Appends one ledger row; returns its id. */
  async appendLedger(db: Executor, row: LedgerInsert): Promise<string> {
    const inserted = await db
      .insertInto('toolwright_policy_ledger')
      .values({
        at: row.at,
        event: row.event,
        kind: row.kind ?? null,
        origin: row.origin ?? null,
        name: row.name ?? null,
        change_hash: row.changeHash ?? null,
        outcome: row.outcome ?? null,
        effective: row.effective ? 1 : 0,
        score: row.score ?? null,
        source_hash: row.sourceHash ?? null,
        data: JSON.stringify(row.data ?? {}),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return String(inserted.id);
  }

  /** Distinct changes that happened (effective), optionally narrowed. */
  async effectiveCount(db: Executor, filter: { since?: number; origin?: string; kind?: string; name?: string; excludeKinds?: readonly string[] }): Promise<number> {
    let query = db
      .selectFrom('toolwright_policy_ledger')
      .select((eb) => eb.fn.count<number | string>('change_hash').distinct().as('count'))
      .where('effective', '=', 1);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.origin !== undefined) query = query.where('origin', '=', filter.origin);
    if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
    if (filter.name !== undefined) query = query.where('name', '=', filter.name);
    const excluded = filter.excludeKinds ?? [];
    if (excluded.length > 0) query = query.where((eb) => eb.or([eb('kind', 'not in', excluded), eb('kind', 'is', null)]));
    const row = await query.executeTakeFirst();
    return toNumber(row?.count);
  }

  /** When each distinct effective change of `origin` first happened, since `since`. */
  async effectiveTimes(db: Executor, since: number, origin: string): Promise<number[]> {
    const rows = await db
      .selectFrom('toolwright_policy_ledger')
      .select((eb) => eb.fn.min<number | string>('at').as('at'))
      .where('effective', '=', 1)
      .where('origin', '=', origin)
      .where('at', '>=', since)
      .groupBy('change_hash')
      .execute();
    return rows.map((row) => toNumber(row.at));
  }

  /** Names of every tool a change created. */
  async createdTools(db: Executor): Promise<Set<string>> {
    const rows = await db
      .selectFrom('toolwright_policy_ledger')
      .select('name')
      .distinct()
      .where('effective', '=', 1)
      .where('kind', '=', 'create-tool')
      .execute();
    return new Set(rows.flatMap((row) => (row.name === null ? [] : [row.name])));
  }

  /** Whether `name` was ever added as a learned rule (retired ones included). */
  async learnedRuleExists(db: Executor, name: string): Promise<boolean> {
    const row = await db.selectFrom('toolwright_policy_learned_rules').select('name').where('name', '=', name).executeTakeFirst();
    return row !== undefined;
  }

  /** The active learned rules (added, not retired), oldest first. */
  async activeLearnedRules(db: Executor): Promise<LedgerRule[]> {
    const rows = await db
      .selectFrom('toolwright_policy_learned_rules')
      .select(['name', 'text', 'added_at', 'origin'])
      .where('retired_at', 'is', null)
      .orderBy('position')
      .execute();
    return rows.map((row) => ({ name: row.name, text: row.text, addedAt: toNumber(row.added_at), origin: row.origin === 'agent' ? 'agent' : 'person' }));
  }

  /** Records a learned rule that took effect. Call under the write lock (`locked`). */
  async addLearnedRule(db: Executor, rule: { name: string; text: string; at: number; origin: RuleOrigin }): Promise<void> {
    const last = await db
      .selectFrom('toolwright_policy_learned_rules')
      .select((eb) => eb.fn.max<number | string | null>('position').as('position'))
      .executeTakeFirst();
    await db
      .insertInto('toolwright_policy_learned_rules')
      .values({ name: rule.name, text: rule.text, position: toNumber(last?.position) + 1, added_at: rule.at, retired_at: null, origin: rule.origin })
      .execute();
  }

  /** Marks learned rules retired. */
  async retireLearnedRules(db: Executor, names: readonly string[], at: number): Promise<void> {
    if (names.length === 0) return;
    await db.updateTable('toolwright_policy_learned_rules').set({ retired_at: at }).where('name', 'in', [...names]).where('retired_at', 'is', null).execute();
  }

  /** Whether the last effective pin / unpin of `name` was a pin. */
  async pinned(db: Executor, name: string): Promise<boolean> {
    const row = await db
      .selectFrom('toolwright_policy_ledger')
      .select('kind')
      .where('effective', '=', 1)
      .where('name', '=', name)
      .where('kind', 'in', ['pin', 'unpin'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.kind === 'pin';
  }

  /** Capabilities a person granted (or approved granting), oldest first. */
  async grants(db: Executor): Promise<Capability[]> {
    const rows = await db
      .selectFrom('toolwright_policy_ledger')
      .select('data')
      .where('effective', '=', 1)
      .where('kind', '=', 'grant-capability')
      .orderBy('id')
      .execute();
    return rows.flatMap((row) => {
      const capability = parseJson<{ capability?: Capability }>(row.data).capability;
      return capability === undefined ? [] : [capability];
    });
  }

  /** The last freeze or unfreeze of `name`. */
  async freezeState(db: Executor, name: string): Promise<{ frozen: boolean; at: number; reason: string; id: number } | undefined> {
    const row = await db
      .selectFrom('toolwright_policy_ledger')
      .select(['id', 'event', 'at', 'data'])
      .where('name', '=', name)
      .where('event', 'in', ['freeze', 'unfreeze'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return { frozen: row.event === 'freeze', at: toNumber(row.at), reason: parseJson<{ reason?: string }>(row.data).reason ?? '', id: toNumber(row.id) };
  }

  /** Names of the other tools whose reviewed changes (any outcome) carried this source. */
  async sourceOwners(db: Executor, sourceHash: string, except: string): Promise<string[]> {
    const rows = await db
      .selectFrom('toolwright_policy_ledger')
      .select('name')
      .distinct()
      .where('source_hash', '=', sourceHash)
      .where('name', '<>', except)
      .limit(20)
      .execute();
    return rows.flatMap((row) => (row.name === null ? [] : [row.name]));
  }

  /** Every artifact whose last freeze / unfreeze is a freeze. */
  async frozen(db: Executor): Promise<{ name: string; at: number; reason: string }[]> {
    const rows = await db
      .selectFrom('toolwright_policy_ledger')
      .select(['id', 'name', 'event', 'at', 'data'])
      .where('event', 'in', ['freeze', 'unfreeze'])
      .orderBy('id')
      .execute();
    const last = new Map<string, (typeof rows)[number]>();
    for (const row of rows) if (row.name !== null) last.set(row.name, row);
    return [...last.values()]
      .filter((row) => row.event === 'freeze')
      .map((row) => ({ name: row.name ?? '', at: toNumber(row.at), reason: parseJson<{ reason?: string }>(row.data).reason ?? '' }));
  }

  /**
   * Diagnosis scores recorded with the last `limit` distinct effective rewrites of `name` after
   * ledger row `afterId`, oldest first.
   */
  async rewriteScores(db: Executor, name: string, afterId: number, limit: number): Promise<(number | null)[]> {
    const rows = await db
      .selectFrom('toolwright_policy_ledger')
      .select(['score', 'change_hash'])
      .where('kind', '=', 'rewrite-tool')
      .where('effective', '=', 1)
      .where('name', '=', name)
      .where('id', '>', afterId)
      .orderBy('id', 'desc')
      // Identical changes count once; a few extra rows leave room for re-reviews of the same change.
      .limit(limit + 8)
      .execute();
    const seen = new Set<string | null>();
    const scores: (number | null)[] = [];
    // Newest first: the row kept for a change is its latest; what matters is one entry per change.
    for (const row of rows) {
      if (seen.has(row.change_hash)) continue;
      seen.add(row.change_hash);
      scores.push(row.score === null ? null : Number(row.score));
      if (scores.length === limit) break;
    }
    return scores.reverse();
  }

  async insertApproval(db: Executor, row: Omit<ApprovalRow, 'decidedBy' | 'decidedAt' | 'decisionNote' | 'appliedBy' | 'appliedAt' | 'status'>): Promise<void> {
    const change = row.change;
    await db
      .insertInto('toolwright_policy_approvals')
      .values({
        id: row.id,
        status: 'proposed',
        change_hash: row.changeHash,
        kind: change.kind,
        origin: change.origin,
        name: 'name' in change ? change.name : null,
        change: JSON.stringify(change),
        evidence: JSON.stringify(row.evidence),
        reasons: JSON.stringify(row.reasons),
        proposed_at: row.proposedAt,
        decided_by: null,
        decided_at: null,
        decision_note: null,
        applied_by: null,
        applied_at: null,
        proposed_by: row.proposedBy,
        candidate: row.candidate === undefined ? null : JSON.stringify(row.candidate),
      })
      .execute();
  }

  async approval(db: Executor, id: string): Promise<ApprovalRow | undefined> {
    const row = await db.selectFrom('toolwright_policy_approvals').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : decodeApproval(row);
  }

  async approvals(db: Executor, filter: { statuses?: readonly string[]; name?: string; limit?: number }): Promise<ApprovalRow[]> {
    let query = db.selectFrom('toolwright_policy_approvals').selectAll().orderBy('proposed_at').orderBy('id');
    if (filter.statuses !== undefined && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses] as PolicyApprovalTable['status'][]);
    if (filter.name !== undefined) query = query.where('name', '=', filter.name);
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.execute()).map(decodeApproval);
  }

  async proposedWithHash(db: Executor, changeHash: string): Promise<string | undefined> {
    const row = await db
      .selectFrom('toolwright_policy_approvals')
      .select('id')
      .where('change_hash', '=', changeHash)
      .where('status', '=', 'proposed')
      .executeTakeFirst();
    return row?.id;
  }

  async pendingCount(db: Executor): Promise<number> {
    const row = await db
      .selectFrom('toolwright_policy_approvals')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('status', '=', 'proposed')
      .executeTakeFirst();
    return toNumber(row?.count);
  }

  /**
   * Moves an approval from `from` to `to` only if it is still in `from` (compare-and-set), so a
   * replayed or concurrent step changes nothing. Returns whether it moved.
   */
  async transition(
    db: Executor,
    id: string,
    from: PolicyApprovalTable['status'],
    to: PolicyApprovalTable['status'],
    fields: { decidedBy?: string; decidedAt?: number; decisionNote?: string | null; appliedBy?: string; appliedAt?: number },
  ): Promise<boolean> {
    const result = await db
      .updateTable('toolwright_policy_approvals')
      .set({
        status: to,
        ...(fields.decidedBy === undefined ? {} : { decided_by: fields.decidedBy }),
        ...(fields.decidedAt === undefined ? {} : { decided_at: fields.decidedAt }),
        ...(fields.decisionNote === undefined ? {} : { decision_note: fields.decisionNote }),
        ...(fields.appliedBy === undefined ? {} : { applied_by: fields.appliedBy }),
        ...(fields.appliedAt === undefined ? {} : { applied_at: fields.appliedAt }),
      })
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function decodeApproval(row: {
  id: string;
  status: PolicyApprovalTable['status'];
  origin: string;
  change_hash: string;
  change: string;
  evidence: string;
  reasons: string;
  proposed_at: number | string;
  decided_by: string | null;
  decided_at: number | string | null;
  decision_note: string | null;
  applied_by: string | null;
  applied_at: number | string | null;
  proposed_by: string | null;
  candidate: string | null;
}): ApprovalRow {
  return {
    id: row.id,
    status: row.status,
    changeHash: row.change_hash,
    change: parseJson<Change>(row.change),
    evidence: parseJson<Record<string, unknown>>(row.evidence),
    reasons: parseJson<DecisionReason[]>(row.reasons),
    proposedAt: toNumber(row.proposed_at),
    decidedBy: row.decided_by ?? undefined,
    decidedAt: optionalNumber(row.decided_at),
    decisionNote: row.decision_note ?? undefined,
    appliedBy: row.applied_by ?? undefined,
    appliedAt: optionalNumber(row.applied_at),
    proposedBy: row.proposed_by ?? (row.origin === 'agent' ? 'agent' : 'person'),
    candidate: row.candidate === null ? undefined : parseJson<ApprovalCandidate>(row.candidate),
  };
}
