import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { SchemalessKysely } from '../run-migrations.js';

/** The PostgreSQL server integration tests use (`TOOLWRIGHT_TEST_POSTGRES_URL`), or `undefined` to skip them. */
export const POSTGRES_URL = process.env['TOOLWRIGHT_TEST_POSTGRES_URL'] || undefined;

let warned = false;
/** Prints, once per test file, that the PostgreSQL run is skipped because no server is configured. */
export function noticePostgresSkipped(what: string): void {
  if (POSTGRES_URL !== undefined || warned) return;
  warned = true;
  console.warn(`[${what}] TOOLWRIGHT_TEST_POSTGRES_URL is not set: the PostgreSQL run is skipped.`);
}

/** The handle a test opens: anything with a kysely instance that can be closed (`openDatabase` of `@toolwright/store` returns one). */
export interface TestHandle {
  readonly kysely: SchemalessKysely;
  close(): Promise<void>;
}

/** Opens a handle on `url`; on PostgreSQL, `options.schema` is the schema to create and use. */
export type OpenTestHandle<Handle extends TestHandle> = (url: string, options: { schema?: string }) => Promise<Handle>;

/** One isolated database for one test: a temporary SQLite file, or a fresh PostgreSQL schema. */
export interface TestDatabase<Handle extends TestHandle> {
  readonly db: Handle;
  readonly url: string;
  /** What `open` passes besides the URL: `{ schema }` on PostgreSQL, `{}` on SQLite. */
  readonly options: { schema?: string };
  /** Another handle on the same database (a second "instance"); closed by `cleanup`. */
  open(): Promise<Handle>;
  /** Closes every handle and removes the file or schema. */
  cleanup(): Promise<void>;
}

/** A database a suite runs against. */
export interface Backend<Handle extends TestHandle> {
  readonly name: 'sqlite' | 'postgres';
  create(): Promise<TestDatabase<Handle>>;
}

async function track<Handle extends TestHandle>(
  open: OpenTestHandle<Handle>,
  url: string,
  options: { schema?: string },
  remove: (db: Handle) => Promise<void>,
): Promise<TestDatabase<Handle>> {
  const handles: Handle[] = [];
  const openAnother = async () => {
    const handle = await open(url, options);
    handles.push(handle);
    return handle;
  };
  const db = await openAnother();
  return {
    db,
    url,
    options,
    open: openAnother,
    async cleanup() {
      await remove(db).catch(() => {});
      for (const handle of handles) await handle.close();
    },
  };
}

/**
 * A SQLite file in a fresh temporary directory per test (`toolwright-<label>-…`), removed by `cleanup`.
 *
 * @example
 * ```ts
 * const backend = sqliteBackend(openDatabase, 'memory');
 * const database = await backend.create();
 * ```
 */
export function sqliteBackend<Handle extends TestHandle>(open: OpenTestHandle<Handle>, label: string): Backend<Handle> {
  return {
    name: 'sqlite',
    async create() {
      const directory = mkdtempSync(join(tmpdir(), `toolwright-${label}-`));
      const database = await track(open, `sqlite:${join(directory, 'test.db')}`, {}, async () => {});
      return {
        ...database,
        async cleanup() {
          await database.cleanup();
          rmSync(directory, { recursive: true, force: true });
        },
      };
    },
  };
}

/**
 * A uniquely named schema (`tw_<label>_test_<pid>_<random>`) on the server at
 * {@link POSTGRES_URL}, dropped by `cleanup`. `create` throws when no server is configured.
 */
export function postgresBackend<Handle extends TestHandle>(open: OpenTestHandle<Handle>, label: string): Backend<Handle> {
  return {
    name: 'postgres',
    async create() {
      if (POSTGRES_URL === undefined) throw new Error('TOOLWRIGHT_TEST_POSTGRES_URL is not set');
      const schema = `tw_${label}_test_${process.pid}_${randomBytes(5).toString('hex')}`;
      return track(open, POSTGRES_URL, { schema }, async (db) => {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
      });
    },
  };
}
