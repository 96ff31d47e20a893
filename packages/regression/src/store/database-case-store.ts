import { type CaseExpectation, type FeedbackRecord, type FeedbackRecordStatus, type JsonValue, ValidationError } from '@toolwright/core';
import { joinOrRunUnit, toStorageError, type UnitOfWork } from '@toolwright/store';
import { type Kysely, type Transaction, sql } from 'kysely';
import type { CaseStore, ShadowObservation, StoredCase } from './case-store.js';
import { migrateRegressionTables } from './migrations.js';
import type { RegressionDatabase } from './regression-database.js';

interface CaseRow {
  seq: number | string;
  case_id: string;
  tool: string;
  input_hash: string;
  input: string;
  expect: string;
  origin: string;
  held_out: number;
  source_version: number | null;
  created_at: number | string;
}

interface ShadowRow {
  seq: number | string;
  tool: string;
  candidate_hash: string;
  active_version: number | null;
  input_hash: string;
  active_ok: number;
  candidate_ok: number;
  agreed: number;
  active_ms: number;
  candidate_ms: number;
  candidate_error_code: string | null;
  at: number | string;
  candidate_version?: number | null;
  active_output?: string | null;
  candidate_output?: string | null;
  truth?: string | null;
}

interface FeedbackCallRow {
  call_id: string;
  tool: string;
  version: number;
  recorded_at: number | string;
}

interface Tables {
  regression_cases: Omit<CaseRow, 'seq'> & { seq?: number | string };
  regression_shadow_runs: Omit<ShadowRow, 'seq'> & { seq?: number | string };
  regression_feedback_calls: FeedbackCallRow;
}

/**
 * Keeps cases and shadow observations in the database (SQLite or PostgreSQL), in the
 * package's own tables. Migrates them on first use.
 */
export class DatabaseCaseStore implements CaseStore {
  readonly #database: RegressionDatabase;
  readonly #db: Kysely<Tables>;
  #ready: Promise<void> | undefined;
  #migrated = false;

  constructor(database: RegressionDatabase) {
    this.#database = database;
    this.#db = database.kysely as Kysely<Tables>;
  }

  /** Runs the migrations once; later calls share the first call's outcome (retrying after a failure). */
  ready(): Promise<void> {
    this.#ready ??= migrateRegressionTables(this.#database).then(
      () => {
        this.#migrated = true;
      },
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }

  async list(tool: string, includeHeldOut: boolean): Promise<StoredCase[]> {
    return this.#run(`listing the cases of "${tool}"`, async () => {
      let query = this.#db.selectFrom('regression_cases').selectAll().where('tool', '=', tool);
      if (!includeHeldOut) query = query.where('held_out', '=', 0);
      const rows = await query.orderBy('seq').execute();
      return rows.map((row) => toCase(row as CaseRow));
    });
  }

  async insertAllIfAbsent(entries: readonly StoredCase[], unit: UnitOfWork | undefined): Promise<StoredCase[]> {
    if (unit !== undefined) await this.#readyForUnit();
    const tools = [...new Set(entries.map((entry) => entry.tool))].join('", "');
    return this.#run(`storing cases of "${tools}"`, () =>
      joinOrRunUnit(this.#database, unit, async (joined) => {
        const db = joined.kysely as Transaction<Tables>;
        const inserted: StoredCase[] = [];
        for (const entry of entries) {
          const result = await db
            .insertInto('regression_cases')
            .values(toRow(entry))
            .onConflict((conflict) => conflict.columns(['tool', 'input_hash']).doNothing())
            .executeTakeFirst();
          if (Number(result.numInsertedOrUpdatedRows ?? 0n) > 0) inserted.push(entry);
        }
        return inserted;
      }),
    );
  }

  /**
   * Migrations run on a connection of their own. Inside a caller's unit on SQLite, that
   * connection is the unit's (better-sqlite3 has one), so waiting for them there would never
   * end: the tables must be ready before the unit opens.
   */
  async #readyForUnit(): Promise<void> {
    if (this.#migrated) return;
    if (this.#database.dialect === 'postgres') {
      await this.ready();
      return;
    }
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `The regression tables of ${this.#database.url ?? 'this SQLite database'} are not migrated yet, and a unit of work on SQLite holds its only connection. Await regression.ready() before opening the unit.`,
    );
  }

  async upsert(entry: StoredCase): Promise<StoredCase> {
    return this.#run(`storing case ${entry.id} of "${entry.tool}"`, async () => {
      const row = toRow(entry);
      await this.#db
        .insertInto('regression_cases')
        .values(row)
        .onConflict((conflict) =>
          conflict.columns(['tool', 'input_hash']).doUpdateSet({
            expect: row.expect,
            origin: row.origin,
            held_out: row.held_out,
            source_version: row.source_version,
          }),
        )
        .execute();
      const stored = await this.#db
        .selectFrom('regression_cases')
        .selectAll()
        .where('tool', '=', entry.tool)
        .where('input_hash', '=', entry.inputHash)
        .executeTakeFirstOrThrow();
      return toCase(stored as CaseRow);
    });
  }

  async insertCaptured(entry: StoredCase, limit: number): Promise<'captured' | 'duplicate' | 'cap-reached'> {
    return this.#run(`capturing a case of "${entry.tool}"`, () =>
      this.#writeTransaction(entry.tool, async (db) => {
        const existing = await db
          .selectFrom('regression_cases')
          .select('case_id')
          .where('tool', '=', entry.tool)
          .where('input_hash', '=', entry.inputHash)
          .executeTakeFirst();
        if (existing !== undefined) return 'duplicate';
        const { count } = await db
          .selectFrom('regression_cases')
          .select((eb) => eb.fn.countAll().as('count'))
          .where('tool', '=', entry.tool)
          .where('origin', '=', 'captured')
          .executeTakeFirstOrThrow();
        if (Number(count) >= limit) return 'cap-reached';
        await db.insertInto('regression_cases').values(toRow(entry)).execute();
        return 'captured';
      }),
    );
  }

  async addShadowObservation(observation: ShadowObservation): Promise<void> {
    await this.#run(`recording a shadow run of "${observation.tool}"`, async () => {
      await this.#db
        .insertInto('regression_shadow_runs')
        .values({
          tool: observation.tool,
          candidate_hash: observation.candidateHash,
          active_version: observation.activeVersion ?? null,
          input_hash: observation.inputHash,
          active_ok: observation.activeOk ? 1 : 0,
          candidate_ok: observation.candidateOk ? 1 : 0,
          agreed: observation.agreed ? 1 : 0,
          active_ms: observation.activeMs,
          candidate_ms: observation.candidateMs,
          candidate_error_code: observation.candidateErrorCode ?? null,
          at: observation.at,
          // Only post-promotion comparisons carry the shadowed version and both outputs.
          ...(observation.candidateVersion === undefined
            ? {}
            : {
                candidate_version: observation.candidateVersion,
                active_output: observation.activeOutput === undefined ? null : JSON.stringify(observation.activeOutput),
                candidate_output: observation.candidateOutput === undefined ? null : JSON.stringify(observation.candidateOutput),
                truth: observation.truth ?? null,
              }),
        })
        .execute();
    });
  }

  async shadowObservations(tool: string, candidateHash: string): Promise<ShadowObservation[]> {
    return this.#run(`reading the shadow runs of "${tool}"`, async () => {
      const rows = await this.#db
        .selectFrom('regression_shadow_runs')
        .selectAll()
        .where('tool', '=', tool)
        .where('candidate_hash', '=', candidateHash)
        .orderBy('seq')
        .execute();
      return rows.map((row) => observationOf(row as ShadowRow));
    });
  }

  async shadowDisagreements(tool: string, limit: number): Promise<ShadowObservation[]> {
    return this.#run(`reading the shadow disagreements of "${tool}"`, async () => {
      const rows = await this.#db.selectFrom('regression_shadow_runs').selectAll().where('tool', '=', tool).where('agreed', '=', 0).orderBy('seq', 'desc').limit(limit).execute();
      return rows.map((row) => observationOf(row as ShadowRow));
    });
  }

  async recordFeedback(record: FeedbackRecord): Promise<FeedbackRecordStatus> {
    return this.#run(`recording feedback on call ${record.callId} of "${record.tool}"`, async () => {
      // One statement: the primary key, not a read before the write, decides between two processes.
      const result = await this.#db
        .insertInto('regression_feedback_calls')
        .values({ call_id: record.callId, tool: record.tool, version: record.version, recorded_at: record.at })
        .onConflict((conflict) => conflict.column('call_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0 ? 'recorded' : 'already-recorded';
    });
  }

  /**
   * Runs `work` in a transaction that holds the write lock from its first statement, so a
   * read-then-write (the capture cap) cannot interleave with another writer: `BEGIN IMMEDIATE`
   * on SQLite (which would otherwise fail to upgrade a read lock), and a transaction-scoped
   * advisory lock per tool on PostgreSQL (other processes included).
   */
  async #writeTransaction<T>(tool: string, work: (db: Kysely<Tables>) => Promise<T>): Promise<T> {
    if (this.#database.dialect === 'sqlite') {
      return this.#db.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          const result = await work(connection);
          await sql`commit`.execute(connection);
          return result;
        } catch (error) {
          await sql`rollback`.execute(connection).catch(() => {});
          throw error;
        }
      });
    }
    return this.#db.transaction().execute(async (trx: Transaction<Tables>) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`toolwright.regression.capture:${tool}`}))`.execute(trx);
      return work(trx);
    });
  }

  async #run<T>(what: string, work: () => Promise<T>): Promise<T> {
    await this.ready();
    try {
      return await work();
    } catch (error) {
      throw toStorageError(error, `${what} in ${this.#database.url ?? `the ${this.#database.dialect} database`}`);
    }
  }
}

function toRow(entry: StoredCase): Omit<CaseRow, 'seq'> {
  return {
    case_id: entry.id,
    tool: entry.tool,
    input_hash: entry.inputHash,
    input: JSON.stringify(entry.input),
    expect: JSON.stringify(entry.expect),
    origin: entry.origin,
    held_out: entry.heldOut ? 1 : 0,
    source_version: entry.sourceVersion ?? null,
    created_at: entry.createdAt,
  };
}

function toCase(row: CaseRow): StoredCase {
  return {
    id: row.case_id,
    tool: row.tool,
    input: JSON.parse(row.input) as JsonValue,
    expect: JSON.parse(row.expect) as CaseExpectation,
    origin: row.origin as StoredCase['origin'],
    heldOut: Number(row.held_out) === 1,
    inputHash: row.input_hash,
    sourceVersion: row.source_version ?? undefined,
    createdAt: Number(row.created_at),
  };
}

function observationOf(shadow: ShadowRow): ShadowObservation {
  const parse = (text: string | null | undefined): JsonValue | undefined => (text === null || text === undefined ? undefined : (JSON.parse(text) as JsonValue));
  const truth = shadow.truth === 'active' || shadow.truth === 'reference' || shadow.truth === 'neither' ? shadow.truth : undefined;
  return {
    tool: shadow.tool,
    candidateHash: shadow.candidate_hash,
    activeVersion: shadow.active_version ?? undefined,
    inputHash: shadow.input_hash,
    activeOk: shadow.active_ok === 1,
    candidateOk: shadow.candidate_ok === 1,
    agreed: shadow.agreed === 1,
    activeMs: Number(shadow.active_ms),
    candidateMs: Number(shadow.candidate_ms),
    candidateErrorCode: shadow.candidate_error_code ?? undefined,
    at: Number(shadow.at),
    ...(shadow.candidate_version === null || shadow.candidate_version === undefined
      ? {}
      : { candidateVersion: shadow.candidate_version, activeOutput: parse(shadow.active_output), candidateOutput: parse(shadow.candidate_output), truth }),
  };
}
