import { type Migration, sql } from 'kysely';
import type { MigrationPlan } from '@toolwright/store';

type Dialect = 'sqlite' | 'postgres';

/** The table kysely records the registry's migrations in (its lock table is `<name>_lock`). */
export const REGISTRY_MIGRATION_TABLE = 'toolwright_registry_migrations';

/**
 * 0001: artifacts (one row per name: kind, pin, latest and active version) and their
 * immutable versions; identical content is stored once per artifact.
 */
function initial(dialect: Dialect): Migration {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db) {
      await db.schema
        .createTable('registry_artifacts')
        .addColumn('name', 'text', (column) => column.primaryKey())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('pinned', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('latest_version', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('active_version', 'integer')
        .addColumn('updated_at', bigint, (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('registry_versions')
        .addColumn('name', 'text', (column) => column.notNull().references('registry_artifacts.name'))
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('spec', 'text')
        .addColumn('content_hash', 'text', (column) => column.notNull())
        .addColumn('parent', 'integer')
        .addColumn('author_kind', 'text', (column) => column.notNull())
        .addColumn('author_id', 'text', (column) => column.notNull())
        .addColumn('reason', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', bigint, (column) => column.notNull())
        .addPrimaryKeyConstraint('registry_versions_pk', ['name', 'version'])
        .addUniqueConstraint('registry_versions_content', ['name', 'content_hash'])
        .execute();
      await db.schema.createIndex('registry_versions_status').on('registry_versions').columns(['status', 'name']).execute();
    },
  };
}

/**
 * 0002: the change log (every registration, promotion, rejection, rollback and pin, in
 * order; backfilled from the versions that exist), and a partial unique index that makes a
 * second active version of one artifact impossible, whatever writes it.
 */
function changeLogAndOneActive(dialect: Dialect): Migration {
  return {
    async up(db) {
      await db.schema
        .createTable('registry_changes')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('previous', 'integer')
        .addColumn('reason', 'text')
        .addColumn('at', dialect === 'postgres' ? 'bigint' : 'integer', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('registry_changes_name').on('registry_changes').columns(['name', 'id']).execute();

      // What version 1 knew: each version was registered, and the active one promoted.
      const versions = (await db
        .selectFrom('registry_versions')
        .select(['name', 'version', 'status', 'created_at'])
        .orderBy('created_at')
        .orderBy('name')
        .orderBy('version')
        .execute()) as { name: string; version: number; status: string; created_at: number }[];
      for (const version of versions) {
        await db
          .insertInto('registry_changes')
          .values({ name: version.name, type: 'registered', version: version.version, at: Number(version.created_at) })
          .execute();
      }
      for (const version of versions.filter((row) => row.status === 'active')) {
        await db
          .insertInto('registry_changes')
          .values({ name: version.name, type: 'promoted', version: version.version, reason: 'backfilled by migration 0002', at: Number(version.created_at) })
          .execute();
      }

      await sql`create unique index registry_versions_one_active on registry_versions (name) where status = 'active'`.execute(db);
    },
  };
}

/** Every registry migration, oldest first. Forward only: a published migration never changes. */
export function registryMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_artifacts_versions': initial(dialect),
    '0002_change_log_one_active': changeLogAndOneActive(dialect),
  };
}

/** The registry's migration plan for a database of `dialect`. */
export function registryMigrationPlan(dialect: Dialect): MigrationPlan {
  return { owner: '@toolwright/registry', table: REGISTRY_MIGRATION_TABLE, migrations: registryMigrations(dialect) };
}
