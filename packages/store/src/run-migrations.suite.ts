import { type Kysely, type Migration, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database/open-database.js';
import { appliedMigrations, type MigratableDatabase, type MigrationPlan, runMigrations } from './run-migrations.js';
import type { Backend, TestDatabase } from './test-support/backends.js';
import { caught, POSTGRES_URL } from './testing/index.js';

/** The names of the tables of the database (on PostgreSQL: of the current schema). */
async function tablesOf(database: MigratableDatabase): Promise<string[]> {
  const result =
    database.dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(database.kysely)
      : await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`.execute(database.kysely);
  return result.rows.map((row) => row.name);
}

const notesTable: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations see an untyped handle
  async up(db: Kysely<any>) {
    await db.schema.createTable('notes').addColumn('id', 'integer', (column) => column.primaryKey()).addColumn('text', 'text').execute();
  },
};
const tagsColumn: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations see an untyped handle
  async up(db: Kysely<any>) {
    await db.schema.alterTable('notes').addColumn('tags', 'text', (column) => column.notNull().defaultTo('[]')).execute();
  },
};
const plan = (migrations: MigrationPlan['migrations']): MigrationPlan => ({ owner: '@acme/notes', table: 'acme_notes_migrations', migrations });

/** The migration runner, run unchanged against SQLite (run-migrations.test.ts) and PostgreSQL (run-migrations.int.test.ts). */
export function describeRunMigrationsSuite(backend: Backend): void {
  describe(`runMigrations on ${backend.name}`, () => {
    let database: TestDatabase;
    beforeEach(async () => {
      database = await backend.create();
    });
    afterEach(async () => {
      await database.cleanup();
    });
    const applied = () => appliedMigrations(database.db.kysely, backend.name, 'acme_notes_migrations');

    it('migrates an empty database, then upgrades it from the previous plan, keeping its rows', async () => {
      expect(await applied()).toEqual([]);
      await runMigrations(database.db, plan({ '0001_notes': notesTable }));
      await sql`insert into notes (id, text) values (1, 'kept')`.execute(database.db.kysely);
      await runMigrations(database.db, plan({ '0001_notes': notesTable, '0002_tags': tagsColumn }));
      expect(await applied()).toEqual(['0001_notes', '0002_tags']);
      expect((await sql<{ text: string; tags: string }>`select text, tags from notes`.execute(database.db.kysely)).rows).toEqual([{ text: 'kept', tags: '[]' }]);
      expect((await tablesOf(database.db)).filter((table) => !table.startsWith('sqlite_'))).toEqual(['acme_notes_migrations', 'acme_notes_migrations_lock', 'notes']);
    });

    it('takes a new migration on a migration table written without kysely (no lock table), as safety-policy once wrote it', async () => {
      await sql`create table acme_notes_migrations (name varchar(255) primary key, timestamp varchar(255) not null)`.execute(database.db.kysely);
      await notesTable.up(database.db.kysely);
      await sql`insert into acme_notes_migrations (name, timestamp) values ('0001_notes', '2025-01-01T00:00:00.000Z')`.execute(database.db.kysely);
      await runMigrations(database.db, plan({ '0001_notes': notesTable, '0002_tags': tagsColumn }));
      expect(await applied()).toEqual(['0001_notes', '0002_tags']);
    });

    it('lets two instances migrate the same empty database at once', async () => {
      // On SQLite one process shares one handle per file: two better-sqlite3 connections in one
      // thread would block each other inside the busy timeout.
      const second = backend.name === 'sqlite' ? database.db : await database.open();
      const full = plan({ '0001_notes': notesTable, '0002_tags': tagsColumn });
      await Promise.all([runMigrations(database.db, full), runMigrations(second, full)]);
      expect(await applied()).toEqual(['0001_notes', '0002_tags']);
    });

    it('refuses a schema migrated by a newer version with STORAGE_SCHEMA_TOO_NEW, and leaves it alone', async () => {
      await runMigrations(database.db, plan({ '0001_notes': notesTable, '0002_tags': tagsColumn }));
      const error = await caught(runMigrations({ dialect: database.db.dialect, kysely: database.db.kysely, url: 'postgres://db/notes' }, plan({ '0001_notes': notesTable })));
      expect(error.code).toBe('STORAGE_SCHEMA_TOO_NEW');
      expect(error.message).toContain('0002_tags');
      expect(error.message).toContain('@acme/notes tables of postgres://db/notes');
      expect(error.details).toMatchObject({ unknownMigrations: ['0002_tags'], table: 'acme_notes_migrations' });
      expect(await applied()).toEqual(['0001_notes', '0002_tags']);
    });

    it('rolls back a migration that fails half-way: no table, no record of it, STORAGE_FAILED', async () => {
      const half: Migration = {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations see an untyped handle
        async up(db: Kysely<any>) {
          await db.schema.createTable('half_done').addColumn('id', 'integer').execute();
          throw new Error('disk on fire');
        },
      };
      // Without a url, messages name the dialect.
      const error = await caught(runMigrations({ dialect: database.db.dialect, kysely: database.db.kysely }, plan({ '0001_half': half })));
      expect(error.code).toBe('STORAGE_FAILED');
      expect(error.message).toContain('disk on fire');
      expect(error.message).toContain(`the ${backend.name} database`);
      expect(await tablesOf(database.db)).not.toContain('half_done');
      expect(await applied()).toEqual([]);
    });

    it.skipIf(backend.name !== 'postgres' || POSTGRES_URL === undefined)('says so when the search_path names no existing schema', async () => {
      const lost = await openDatabase(POSTGRES_URL as string);
      try {
        // On one connection: a pool would hand the runner another one, with the default search_path.
        const pinned = await lost.kysely.connection().execute(async (connection) => {
          await sql`set search_path to no_such_schema_anywhere`.execute(connection);
          return caught(runMigrations({ dialect: 'postgres', kysely: connection }, plan({ '0001_notes': notesTable })));
        });
        expect(pinned.code).toBe('STORAGE_FAILED');
        expect(pinned.message).toMatch(/search_path names no existing schema/);
      } finally {
        await lost.close();
      }
    });
  });
}
