import { RolloutError } from '@toolwright/core';
import { runMigrations, toStorageError } from '@toolwright/store';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Experiment, ExperimentEvent, ExperimentOutcome, ExperimentStatus } from '../experiment.js';
import type { ArmCounts } from '../statistics/arm-counts.js';
import { ROLLOUT_MIGRATION_TABLE, rolloutMigrations } from './migrations.js';
import type { ExperimentTable, RolloutTables } from './tables.js';

/** The database handle the rollout keeps its state in: the minimal shape it needs (`openDatabase` of `@toolwright/store` returns one). */
export interface RolloutDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  readonly url?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one handle is shared by stores with different tables
  readonly kysely: Kysely<any>;
}

/** A counts increment for one arm of one scope. */
export interface CountsDelta {
  readonly scope: string;
  readonly arm: string;
  readonly counts: ArmCounts;
}

/** A change of an experiment's state, applied only if nobody changed it since `revision`. */
export interface ExperimentPatch {
  readonly status?: ExperimentStatus;
  readonly allocation?: Readonly<Record<string, number>>;
  readonly step?: number;
  readonly outcome?: ExperimentOutcome;
  readonly plan?: Experiment['plan'];
}

type Executor = Kysely<RolloutTables> | Transaction<RolloutTables>;

/** Rows per insert statement (8 parameters each; SQLite allows 32,766, PostgreSQL 65,535). */
const COUNTS_PER_STATEMENT = 500;

const toNumber = (value: number | string | null): number => (value === null ? 0 : Number(value));

function decode(row: ExperimentTable): Experiment {
  return {
    id: row.id,
    kind: row.kind,
    artifact: row.artifact,
    arms: JSON.parse(row.arms),
    allocation: JSON.parse(row.allocation),
    plan: JSON.parse(row.stop_rule),
    status: row.status,
    outcome: row.outcome === null ? undefined : JSON.parse(row.outcome),
    step: Number(row.step),
    startedAt: toNumber(row.started_at),
    endedAt: row.ended_at === null ? undefined : toNumber(row.ended_at),
    revision: Number(row.revision),
  };
}

/** The rollout's SQL: experiments, counts incremented in place, events. Internal to the package. */
export class RolloutStore {
  readonly #db: Kysely<RolloutTables>;
  readonly #dialect: 'sqlite' | 'postgres';

  private constructor(database: RolloutDatabase) {
    this.#db = database.kysely as Kysely<RolloutTables>;
    this.#dialect = database.dialect;
  }

  /** Migrates the rollout's tables (through `runMigrations`) and returns the store. */
  static async open(database: RolloutDatabase): Promise<RolloutStore> {
    await runMigrations(database, { owner: '@toolwright/rollout', table: ROLLOUT_MIGRATION_TABLE, migrations: rolloutMigrations(database.dialect) });
    return new RolloutStore(database);
  }

  async #run<T>(what: string, work: (db: Executor) => Promise<T>): Promise<T> {
    try {
      return await work(this.#db);
    } catch (error) {
      throw toStorageError(error, what);
    }
  }

  async #transaction<T>(what: string, work: (trx: Transaction<RolloutTables>) => Promise<T>): Promise<T> {
    try {
      return await this.#db.transaction().execute(work);
    } catch (error) {
      throw toStorageError(error, what);
    }
  }

  /** Inserts a new experiment and its `started` event in one transaction; another live experiment on the artifact refuses it. */
  async create(experiment: Experiment, event: ExperimentEvent): Promise<void> {
    await this.#transaction(`starting experiment ${experiment.id}`, async (trx) => {
      const live = await trx
        .selectFrom('toolwright_rollout_experiments')
        .select(['id'])
        .where('artifact', '=', experiment.artifact)
        .where('status', 'in', ['running', 'frozen'])
        .executeTakeFirst();
      if (live !== undefined) throw conflict(experiment.artifact, live.id);
      try {
        await trx
          .insertInto('toolwright_rollout_experiments')
          .values({
            id: experiment.id,
            kind: experiment.kind,
            artifact: experiment.artifact,
            arms: JSON.stringify(experiment.arms),
            allocation: JSON.stringify(experiment.allocation),
            stop_rule: JSON.stringify(experiment.plan),
            status: experiment.status,
            outcome: null,
            step: experiment.step,
            started_at: experiment.startedAt,
            ended_at: null,
            updated_at: experiment.startedAt,
            revision: 0,
          })
          .execute();
      } catch (error) {
        // Another process started one between our check and the insert: the partial unique index says so.
        if (/unique|duplicate/i.test(error instanceof Error ? error.message : '')) throw conflict(experiment.artifact, 'another');
        throw error;
      }
      await this.#insertEvent(trx, event);
    });
  }

  async #insertEvent(trx: Executor, event: ExperimentEvent): Promise<void> {
    await trx
      .insertInto('toolwright_rollout_events')
      .values({ experiment_id: event.experimentId, at: event.at, event: event.event, data: JSON.stringify(event.data) })
      .execute();
  }

  /**
   * Applies `patch` and appends `event` in one transaction, if the experiment is still at
   * `revision`; returns the updated experiment, or `undefined` when another process got there first.
   */
  async transition(id: string, revision: number, patch: ExperimentPatch, event: ExperimentEvent, at: number): Promise<Experiment | undefined> {
    return this.#transaction(`updating experiment ${id}`, async (trx) => {
      const final = patch.status !== undefined && patch.status !== 'running' && patch.status !== 'frozen';
      const result = await trx
        .updateTable('toolwright_rollout_experiments')
        .set({
          ...(patch.status === undefined ? {} : { status: patch.status }),
          ...(patch.allocation === undefined ? {} : { allocation: JSON.stringify(patch.allocation) }),
          ...(patch.step === undefined ? {} : { step: patch.step }),
          ...(patch.outcome === undefined ? {} : { outcome: JSON.stringify(patch.outcome) }),
          ...(patch.plan === undefined ? {} : { stop_rule: JSON.stringify(patch.plan) }),
          ...(final ? { ended_at: at } : {}),
          updated_at: at,
          revision: revision + 1,
        })
        .where('id', '=', id)
        .where('revision', '=', revision)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      await this.#insertEvent(trx, event);
      const row = await trx.selectFrom('toolwright_rollout_experiments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return decode(row);
    });
  }

  /** Appends an event without changing the experiment. */
  async appendEvent(event: ExperimentEvent): Promise<void> {
    await this.#run(`recording an event of experiment ${event.experimentId}`, (db) => this.#insertEvent(db, event));
  }

  async get(id: string): Promise<Experiment | undefined> {
    const row = await this.#run(`reading experiment ${id}`, (db) =>
      db.selectFrom('toolwright_rollout_experiments').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row === undefined ? undefined : decode(row);
  }

  async list(filter: { readonly status?: readonly ExperimentStatus[]; readonly artifact?: string } = {}): Promise<Experiment[]> {
    const rows = await this.#run('listing experiments', (db) => {
      let query = db.selectFrom('toolwright_rollout_experiments').selectAll();
      if (filter.status !== undefined) query = query.where('status', 'in', [...filter.status]);
      if (filter.artifact !== undefined) query = query.where('artifact', '=', filter.artifact);
      return query.orderBy('started_at', 'desc').orderBy('id').execute();
    });
    return rows.map(decode);
  }

  async events(id: string): Promise<ExperimentEvent[]> {
    const rows = await this.#run(`reading the events of experiment ${id}`, (db) =>
      db.selectFrom('toolwright_rollout_events').selectAll().where('experiment_id', '=', id).orderBy('id').execute(),
    );
    return rows.map((row) => ({ experimentId: row.experiment_id, at: toNumber(row.at), event: row.event, data: JSON.parse(row.data) }));
  }

  /**
   * Adds the deltas to the stored counts in one transaction, as atomic
   * `insert … on conflict do update set n = n + excluded.n` statements: concurrent writers never
   * lose an increment. Rows are written in (scope, arm) order, so two writers lock them in the
   * same order and never deadlock.
   */
  async addCounts(deltas: readonly CountsDelta[], at: number): Promise<void> {
    if (deltas.length === 0) return;
    const sorted = [...deltas].sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.arm < b.arm ? -1 : a.arm > b.arm ? 1 : 0));
    await this.#transaction('recording arm counts', async (trx) => {
      for (let start = 0; start < sorted.length; start += COUNTS_PER_STATEMENT) {
        await trx
          .insertInto('toolwright_rollout_counts')
          .values(
            sorted.slice(start, start + COUNTS_PER_STATEMENT).map(({ scope, arm, counts }) => ({
              scope,
              arm,
              successes: counts.successes,
              failures: counts.failures,
              latency_ms_sum: counts.latencyMsSum,
              log_latency_sum: counts.logLatencySum,
              log_latency_square_sum: counts.logLatencySquareSum,
              updated_at: at,
            })),
          )
          .onConflict((conflict) =>
            conflict.columns(['scope', 'arm']).doUpdateSet({
              successes: sql`toolwright_rollout_counts.successes + excluded.successes`,
              failures: sql`toolwright_rollout_counts.failures + excluded.failures`,
              latency_ms_sum: sql`toolwright_rollout_counts.latency_ms_sum + excluded.latency_ms_sum`,
              log_latency_sum: sql`toolwright_rollout_counts.log_latency_sum + excluded.log_latency_sum`,
              log_latency_square_sum: sql`toolwright_rollout_counts.log_latency_square_sum + excluded.log_latency_square_sum`,
              updated_at: sql`excluded.updated_at`,
            }),
          )
          .execute();
      }
    });
  }

  /** The stored counts of the scopes, by scope and arm. */
  async counts(scopes: readonly string[]): Promise<Map<string, Map<string, ArmCounts>>> {
    const result = new Map<string, Map<string, ArmCounts>>();
    if (scopes.length === 0) return result;
    const rows = await this.#run('reading arm counts', (db) => db.selectFrom('toolwright_rollout_counts').selectAll().where('scope', 'in', [...scopes]).execute());
    for (const row of rows) {
      let arms = result.get(row.scope);
      if (arms === undefined) result.set(row.scope, (arms = new Map()));
      arms.set(row.arm, {
        successes: toNumber(row.successes),
        failures: toNumber(row.failures),
        latencyMsSum: Number(row.latency_ms_sum),
        logLatencySum: Number(row.log_latency_sum),
        logLatencySquareSum: Number(row.log_latency_square_sum),
      });
    }
    return result;
  }

  /** The bandit scopes stored (`bandit:<task type>`), so a restarted instance knows the task types it served. */
  async banditScopes(): Promise<string[]> {
    const rows = await this.#run('listing bandit task types', (db) =>
      db.selectFrom('toolwright_rollout_counts').select('scope').distinct().where('scope', 'like', 'bandit:%').execute(),
    );
    return rows.map((row) => row.scope);
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.#dialect;
  }
}

function conflict(artifact: string, id: string): RolloutError {
  return new RolloutError(
    'ROLLOUT_CONFLICT',
    `An experiment (${id}) already runs on ${artifact}; end it (or let it finish) before starting another.`,
    { details: { artifact, experimentId: id } },
  );
}
