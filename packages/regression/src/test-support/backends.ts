import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@toolwright/memory';
import { sql } from 'kysely';
import type { RegressionDatabase } from '../store/regression-database.js';

/** The PostgreSQL server the integration tests use, or `undefined` to skip them. */
export const POSTGRES_URL = process.env['TOOLWRIGHT_TEST_POSTGRES_URL'] || undefined;

let warned = false;
/** Prints, once per test file, that the PostgreSQL run is skipped. */
export function noticePostgresSkipped(what: string): void {
  if (POSTGRES_URL !== undefined || warned) return;
  warned = true;
  console.warn(`[${what}] TOOLWRIGHT_TEST_POSTGRES_URL is not set: the PostgreSQL run is skipped.`);
}

/** One isolated database: a temporary SQLite file or a fresh PostgreSQL schema, and a way to open it again. */
export interface TestDatabase {
  readonly db: RegressionDatabase;
  /** Another handle on the same database (another process, as far as the runner can tell). */
  reopen(): Promise<RegressionDatabase>;
  cleanup(): Promise<void>;
}

/** Where a suite stores cases: `memory` is the runner without a database. */
export interface Backend {
  readonly name: 'memory' | 'sqlite' | 'postgres';
  create(): Promise<TestDatabase | undefined>;
}

async function tracked(url: string, options: { schema?: string }, remove: (db: RegressionDatabase) => Promise<void>, after: () => void): Promise<TestDatabase> {
  const handles: { close(): Promise<void> }[] = [];
  const open = async (): Promise<RegressionDatabase> => {
    const handle = await openDatabase(url, options);
    handles.push(handle);
    return handle;
  };
  const db = await open();
  return {
    db,
    reopen: open,
    async cleanup() {
      await remove(db).catch(() => {});
      for (const handle of handles) await handle.close();
      after();
    },
  };
}

/** No database: cases live in the runner. */
export const memoryBackend: Backend = { name: 'memory', create: async () => undefined };

/** A SQLite file in a fresh temporary directory. */
export const sqliteBackend: Backend = {
  name: 'sqlite',
  async create() {
    const directory = mkdtempSync(join(tmpdir(), 'toolwright-regression-'));
    return tracked(`sqlite:${join(directory, 'test.db')}`, {}, async () => {}, () => rmSync(directory, { recursive: true, force: true }));
  },
};

/** A uniquely named schema on the test PostgreSQL server, dropped afterwards. */
export const postgresBackend: Backend = {
  name: 'postgres',
  async create() {
    if (POSTGRES_URL === undefined) throw new Error('TOOLWRIGHT_TEST_POSTGRES_URL is not set');
    const schema = `tw_regression_test_${process.pid}_${randomBytes(5).toString('hex')}`;
    return tracked(
      POSTGRES_URL,
      { schema },
      async (db) => {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
      },
      () => {},
    );
  },
};
