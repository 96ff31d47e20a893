import { sql } from 'kysely';
import type { SchemalessKysely } from '../registry-database.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedMigrations, runMigrations } from '@toolwright/store';
import { caught } from '@toolwright/store/testing';
import { createRegistry } from '../create-registry.js';
import { createRegistryWriter } from '../create-registry-writer.js';
import type { Backend, TestDatabase } from '../test-support/backends.js';
import { toolInput } from '../test-support/fixtures.js';
import { REGISTRY_MIGRATION_TABLE, registryMigrations } from './registry-migrations.js';

/** The registry's migrations, run unchanged against SQLite and PostgreSQL. */
export function describeMigrationSuite(backend: Backend): void {
  describe(`registry migrations on ${backend.name}`, () => {
    let database: TestDatabase;
    beforeEach(async () => {
      database = await backend.create();
    });
    afterEach(async () => {
      await database.cleanup();
    });

    const applied = (): Promise<string[]> => appliedMigrations(database.db.kysely, database.db.dialect, REGISTRY_MIGRATION_TABLE);
    const allNames = Object.keys(registryMigrations(backend.name));

    it('migrates an empty database to the latest schema, and does nothing the second time', async () => {
      expect(await applied()).toEqual([]);
      await (await createRegistry({ database: database.db })).close();
      expect(await applied()).toEqual(allNames);
      expect(allNames.length).toBeGreaterThanOrEqual(2);
      await (await createRegistry({ database: database.db })).close();
      expect(await applied()).toEqual(allNames);
    });

    it('shares a database with memory without touching its tables or migrations', async () => {
      const { createMemory } = await import('@toolwright/memory');
      const memory = await createMemory({ database: database.db });
      const registry = await createRegistry({ database: database.db });
      const memoryApplied = await appliedMigrations(database.db.kysely, database.db.dialect, 'toolwright_memory_migrations');
      expect(memoryApplied.length).toBeGreaterThanOrEqual(2);
      expect(await applied()).toEqual(allNames);
      await registry.close();
      await memory.close();
    });

    it('upgrades a database created by the previous schema: backfills the change log, then guards the one active version', async () => {
      const [first, ...rest] = Object.entries(registryMigrations(backend.name));
      if (first === undefined) throw new Error('no migrations');
      await runMigrations(database.db, { owner: '@toolwright/registry', table: REGISTRY_MIGRATION_TABLE, migrations: Object.fromEntries([first]) });
      const db = database.db.kysely as SchemalessKysely;
      const version = (n: number, status: string) => ({
        name: 'total_fares',
        version: n,
        kind: 'prompt-section',
        source: `text ${n}`,
        spec: null,
        content_hash: String(n).repeat(64).slice(0, 64),
        parent: n === 1 ? null : n - 1,
        author_kind: 'person',
        author_id: 'ana',
        reason: 'old',
        status,
        created_at: n * 10,
      });
      await db.insertInto('registry_artifacts').values({ name: 'total_fares', kind: 'prompt-section', pinned: 0, latest_version: 2, active_version: 2, updated_at: 20 }).execute();
      await db.insertInto('registry_versions').values([version(1, 'retired'), version(2, 'active')]).execute();

      const registry = await createRegistry({ database: database.db });
      expect(await applied()).toEqual([first[0], ...rest.map(([name]) => name)]);
      expect((await registry.active('total_fares'))?.version).toBe(2);
      expect((await registry.changeLog('total_fares')).map(({ type, version: v }) => `${type} ${v}`)).toEqual(['registered 1', 'registered 2', 'promoted 2']);
      await expect(sql`update registry_versions set status = 'active' where version = 1`.execute(db)).rejects.toThrow(/unique|UNIQUE/);
      await (await createRegistryWriter({ database: database.db })).rollback('total_fares', 1);
      expect((await registry.history('total_fares')).map((v) => v.status)).toEqual(['active', 'retired']);
      await registry.close();
    });

    it('refuses a database migrated by a newer version with STORAGE_SCHEMA_TOO_NEW', async () => {
      const writer = await createRegistryWriter({ database: database.db });
      await writer.register(toolInput());
      await database.db.kysely.insertInto(REGISTRY_MIGRATION_TABLE).values({ name: '9999_from_the_future', timestamp: new Date().toISOString() }).execute();
      for (const open of [createRegistry, createRegistryWriter]) {
        const error = await caught(open({ database: database.db }));
        expect(error.code).toBe('STORAGE_SCHEMA_TOO_NEW');
        expect(error.message).toContain('@toolwright/registry');
        expect(error.message).toContain('9999_from_the_future');
      }
    });
  });
}
