import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedMigrations, runMigrations, type SchemalessKysely } from '@toolwright/store';
import { caught } from '@toolwright/store/testing';
import { createMemory } from '../create-memory.js';
import type { Backend, TestDatabase } from '../test-support/backends.js';
import { invocation } from '../test-support/invocations.js';
import { MEMORY_MIGRATION_TABLE, memoryMigrations } from './memory-migrations.js';

/** Memory's migrations, run unchanged against SQLite and PostgreSQL. */
export function describeMigrationSuite(backend: Backend): void {
  describe(`memory migrations on ${backend.name}`, () => {
    let database: TestDatabase;
    beforeEach(async () => {
      database = await backend.create();
    });
    afterEach(async () => {
      await database.cleanup();
    });

    const applied = (): Promise<string[]> => appliedMigrations(database.db.kysely, database.db.dialect, MEMORY_MIGRATION_TABLE);
    const allNames = Object.keys(memoryMigrations(backend.name));

    it('migrates an empty database to the latest schema, and does nothing the second time', async () => {
      expect(await applied()).toEqual([]);
      const memory = await createMemory({ database: database.db });
      await memory.close();
      expect(await applied()).toEqual(allNames);
      expect(allNames.length).toBeGreaterThanOrEqual(2);
      const again = await createMemory({ database: database.db });
      await again.close();
      expect(await applied()).toEqual(allNames);
    });

    it('lets two instances migrate the same empty database at once', async () => {
      const second = backend.name === 'sqlite' ? database.db : await database.open();
      const memories = await Promise.all([createMemory({ database: database.db }), createMemory({ database: second })]);
      await Promise.all(memories.map((memory) => memory.close()));
      expect(await applied()).toEqual(allNames);
    });

    it('upgrades a database created by the previous schema, keeping its data', async () => {
      const [first, ...rest] = Object.entries(memoryMigrations(backend.name));
      if (first === undefined) throw new Error('no migrations');
      await runMigrations(database.db, { owner: '@toolwright/memory', table: MEMORY_MIGRATION_TABLE, migrations: Object.fromEntries([first]) });
      expect(await applied()).toEqual([first[0]]);

      // Rows as version 1 wrote them: tags only as JSON, no tag table yet.
      const db = database.db.kysely as SchemalessKysely;
      await db
        .insertInto('memory_lessons')
        .values([
          { text: 'old lesson', source: 'failure', tags: JSON.stringify(['fares', 'fares', 'refunds']), created_at: 1 },
          { text: 'untagged', source: 'person', tags: '[]', created_at: 2 },
          { text: 'junk tags', source: 'person', tags: 'not json', created_at: 3 },
        ])
        .execute();
      await db
        .insertInto('memory_invocations')
        .values({ tool: 'total_fares', version: 3, started_at: 10, duration_ms: 4, ok: 1, input_hash: invocation().inputHash })
        .execute();
      await db
        .insertInto('memory_audit')
        .values({ at: 1, actor_kind: 'person', actor_id: 'ana', action: 'pin', reason: 'old', evidence: '{}' })
        .execute();

      const memory = await createMemory({ database: database.db });
      expect(await applied()).toEqual([first[0], ...rest.map(([name]) => name)]);
      expect((await memory.lessons({ tags: ['refunds'] })).map((lesson) => lesson.text)).toEqual(['old lesson']);
      expect((await memory.lessons({ tags: ['fares'] })).map((lesson) => lesson.tags)).toEqual([['fares', 'fares', 'refunds']]);
      expect(await memory.lessons()).toHaveLength(3);
      expect(await memory.summary('total_fares', { lastN: 10, version: 3 })).toMatchObject({ count: 1, successCount: 1 });
      expect((await memory.auditLog()).map((entry) => entry.reason)).toEqual(['old']);
      // The guards of migration 2 now cover the rows written before it.
      await expect(sql`update memory_audit set reason = 'forged'`.execute(db)).rejects.toThrow(/append-only/);
      await memory.close();
    });

    it('refuses a database migrated by a newer version with STORAGE_SCHEMA_TOO_NEW, and leaves it alone', async () => {
      await (await createMemory({ database: database.db })).close();
      await database.db.kysely
        .insertInto(MEMORY_MIGRATION_TABLE)
        .values({ name: '9999_from_the_future', timestamp: new Date().toISOString() })
        .execute();
      const error = await caught(createMemory({ database: database.db }));
      expect(error.code).toBe('STORAGE_SCHEMA_TOO_NEW');
      expect(error.message).toContain('9999_from_the_future');
      expect(error.details).toMatchObject({ unknownMigrations: ['9999_from_the_future'] });
      expect(await applied()).toEqual([...allNames, '9999_from_the_future'].sort());
    });

    it('rolls back a migration that fails half-way: no table, no record of it', async () => {
      const plan = {
        owner: 'a test',
        table: 'toolwright_test_migrations',
        migrations: {
          '0001_half': {
            async up(db: SchemalessKysely) {
              await db.schema.createTable('half_done').addColumn('id', 'integer').execute();
              throw new Error('disk on fire');
            },
          },
        },
      };
      const error = await caught(runMigrations(database.db, plan));
      expect(error.code).toBe('STORAGE_FAILED');
      expect(error.message).toContain('disk on fire');
      await expect(sql`select * from half_done`.execute(database.db.kysely)).rejects.toThrow();
      expect(await appliedMigrations(database.db.kysely, database.db.dialect, plan.table)).toEqual([]);
    });
  });
}
