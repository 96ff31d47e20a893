import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemory, type MemoryStore } from '@toolwright/memory';
import { openDatabase, type Database } from '@toolwright/store';
import { POSTGRES_URL } from '@toolwright/store/testing';
import { sql } from 'kysely';

/** Every database the store-backed tests run against. */
export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

let warned = false;
/** True when the dialect's run must be skipped; prints the notice once per file. */
export function skipDialect(dialect: Dialect): boolean {
  if (dialect !== 'postgres' || POSTGRES_URL !== undefined) return false;
  if (!warned) {
    warned = true;
    console.warn('[@toolwright/safety-policy] TOOLWRIGHT_TEST_POSTGRES_URL is not set: the PostgreSQL runs are skipped.');
  }
  return true;
}

/** An isolated database for one test file: a temporary SQLite file, or a fresh PostgreSQL schema. */
export interface TestStore {
  readonly dialect: Dialect;
  readonly db: Database;
  /**
   * A real memory for the audit log, in its own in-memory SQLite database (memory's audit table
   * is append-only, so it cannot share the database the tests empty between runs). Closed at the next reset.
   */
  memory(): Promise<MemoryStore>;
  /** Another handle on the same database: a restarted process, or a second instance. Closed at the next reset. */
  reopen(): Promise<Database>;
  /** The rows of the ledger that count as changes that happened (`effective = 1`), optionally of one artifact. */
  effectiveRows(name?: string): Promise<number>;
  /** Closes the extra handles and memories, then empties every table (the migrations stay applied). */
  reset(): Promise<void>;
  /** Closes every handle and removes the file or schema. */
  cleanup(): Promise<void>;
}

/** Opens an isolated database of `dialect`. */
export async function openTestStore(dialect: Dialect): Promise<TestStore> {
  let extraHandles: Database[] = [];
  let memories: MemoryStore[] = [];
  let url: string;
  let options: { schema?: string } = {};
  let remove: () => Promise<void>;
  if (dialect === 'sqlite') {
    const directory = mkdtempSync(join(tmpdir(), 'toolwright-policy-'));
    url = `sqlite:${join(directory, 'policy.db')}`;
    remove = async () => rmSync(directory, { recursive: true, force: true });
  } else {
    if (POSTGRES_URL === undefined) throw new Error('TOOLWRIGHT_TEST_POSTGRES_URL is not set');
    const schema = `tw_policy_test_${process.pid}_${randomBytes(5).toString('hex')}`;
    url = POSTGRES_URL;
    options = { schema };
    remove = async () => {
      const admin = await openDatabase(POSTGRES_URL as string);
      try {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.kysely);
      } finally {
        await admin.close();
      }
    };
  }
  const db = await openDatabase(url, options);
  const closeExtras = async () => {
    for (const memory of memories) await memory.close();
    for (const handle of extraHandles) await handle.close();
    memories = [];
    extraHandles = [];
  };
  return {
    dialect,
    db,
    async memory() {
      const handle = await openDatabase('sqlite::memory:');
      extraHandles.push(handle);
      const memory = await createMemory({ database: handle });
      memories.push(memory);
      return memory;
    },
    async effectiveRows(name) {
      const rows = await sql<{ count: number | string }>`select count(*) as count from toolwright_policy_ledger where effective = 1 ${
        name === undefined ? sql`` : sql`and name = ${name}`
      }`.execute(db.kysely);
      return Number(rows.rows[0]?.count ?? 0);
    },
    async reopen() {
      const handle = await openDatabase(url, options);
      extraHandles.push(handle);
      return handle;
    },
    async reset() {
      await closeExtras();
      if (dialect === 'sqlite') {
        const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '%migrations%'`.execute(db.kysely);
        for (const { name } of tables.rows) await sql`delete from ${sql.table(name)}`.execute(db.kysely);
      } else {
        const tables = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() and tablename not like '%migrations%'`.execute(db.kysely);
        if (tables.rows.length > 0) {
          await sql`truncate table ${sql.join(tables.rows.map(({ name }) => sql.table(name)))} restart identity cascade`.execute(db.kysely);
        }
      }
    },
    async cleanup() {
      await closeExtras();
      await db.close();
      await remove();
    },
  };
}
