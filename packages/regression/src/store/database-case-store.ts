import type { CaseExpectation, JsonValue } from '@toolwright/core';
import { toStorageError } from '@toolwright/store';
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
}

interface Tables {
  regression_cases: Omit<CaseRow, 'seq'> & { seq?: number | string };
  regression_shadow_runs: Omit<ShadowRow, 'seq'> & { seq?: number | string };
}

/**
 * Keeps cases and shadow observations in the database (SQLite or PostgreSQL), in the
 * package's own tables. Migrates them on first use.
 */
export class DatabaseCaseStore implements CaseStore {
  readonly #database: RegressionDatabase;
  readonly #db: Kysely<Tables>;
  #ready: Promise<void> | undefined;

  constructor(database: RegressionDatabase) {
    this.#database = database;
    this.#db = database.kysely as Kysely<Tables>;
  }

  /** Runs the migrations once; later calls share the first call's outcome (retrying after a failure). */
  ready(): Promise<void> {
    this.#ready ??= migrateRegressionTables(this.#database).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
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

  async insertIfAbsent(entry: StoredCase): Promise<boolean> {
    return this.#run(`storing case ${entry.id} of "${entry.tool}"`, async () => {
      const result = await this.#db
        .insertInto('regression_cases')
        .values(toRow(entry))
        .onConflict((conflict) => conflict.columns(['tool', 'input_hash']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    });
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
      return rows.map((row) => {
        const shadow = row as ShadowRow;
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
        };
      });
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
