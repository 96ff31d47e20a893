import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { type Database, openDatabase, type OpenDatabaseOptions } from '@toolwright/memory';

/** The PostgreSQL server the integration tests use, or `undefined` to skip them. */
export const POSTGRES_URL = process.env['TOOLWRIGHT_TEST_POSTGRES_URL'] || undefined;

let warned = false;
/** Prints, once per test file, that the PostgreSQL run is skipped. */
export function noticePostgresSkipped(what: string): void {
  if (POSTGRES_URL !== undefined || warned) return;
  warned = true;
  console.warn(`[${what}] TOOLWRIGHT_TEST_POSTGRES_URL is not set: the PostgreSQL run is skipped.`);
}

/** One isolated database for one test: a temporary SQLite file, or a fresh PostgreSQL schema. */
export interface TestDatabase {
  readonly db: Database;
  readonly url: string;
  readonly options: OpenDatabaseOptions;
  /** Another handle on the same database (a second "instance"). */
  open(): Promise<Database>;
  /** Closes every handle and removes the file or schema. */
  cleanup(): Promise<void>;
}

/** A database a suite runs against. */
export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  create(): Promise<TestDatabase>;
}

async function track(url: string, options: OpenDatabaseOptions, remove: (db: Database) => Promise<void>): Promise<TestDatabase> {
  const handles: Database[] = [];
  const open = async () => {
    const handle = await openDatabase(url, options);
    handles.push(handle);
    return handle;
  };
  const db = await open();
  return {
    db,
    url,
    options,
    open,
    async cleanup() {
      await remove(db).catch(() => {});
      for (const handle of handles) await handle.close();
    },
  };
}

/** A SQLite file in a fresh temporary directory. */
export const sqliteBackend: Backend = {
  name: 'sqlite',
  async create() {
    const directory = mkdtempSync(join(tmpdir(), 'toolwright-registry-'));
    const database = await track(`sqlite:${join(directory, 'test.db')}`, {}, async () => {});
    return {
      ...database,
      async cleanup() {
        await database.cleanup();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
};

/** A uniquely named schema on the test PostgreSQL server, dropped afterwards. */
export const postgresBackend: Backend = {
  name: 'postgres',
  async create() {
    if (POSTGRES_URL === undefined) throw new Error('TOOLWRIGHT_TEST_POSTGRES_URL is not set');
    const schema = `tw_registry_test_${process.pid}_${randomBytes(5).toString('hex')}`;
    return track(POSTGRES_URL, { schema }, async (db) => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
    });
  },
};
