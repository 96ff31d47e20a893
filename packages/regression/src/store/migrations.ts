import { StorageError } from '@toolwright/core';
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { withCurrentSchemaIntrospection } from './current-schema-introspection.js';
import type { RegressionDatabase } from './regression-database.js';
import { toStorageError } from './storage-error.js';

/** The table kysely records the regression package's migrations in (its lock table is `<name>_lock`). */
export const REGRESSION_MIGRATION_TABLE = 'toolwright_regression_migrations';

/** 0001: cases (unique per tool and input) and shadow observations. */
function casesAndShadowRuns(dialect: RegressionDatabase['dialect']): Migration {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db) {
      await db.schema
        .createTable('regression_cases')
        .addColumn('seq', serial, (column) => column.primaryKey())
        .addColumn('case_id', 'text', (column) => column.notNull().unique())
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('input_hash', 'text', (column) => column.notNull())
        .addColumn('input', 'text', (column) => column.notNull())
        .addColumn('expect', 'text', (column) => column.notNull())
        .addColumn('origin', 'text', (column) => column.notNull())
        .addColumn('held_out', 'integer', (column) => column.notNull())
        .addColumn('source_version', 'integer')
        .addColumn('created_at', bigint, (column) => column.notNull())
        .addUniqueConstraint('regression_cases_tool_input', ['tool', 'input_hash'])
        .execute();
      await db.schema.createIndex('regression_cases_tool_origin').on('regression_cases').columns(['tool', 'origin']).execute();

      await db.schema
        .createTable('regression_shadow_runs')
        .addColumn('seq', serial, (column) => column.primaryKey())
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('candidate_hash', 'text', (column) => column.notNull())
        .addColumn('active_version', 'integer')
        .addColumn('input_hash', 'text', (column) => column.notNull())
        .addColumn('active_ok', 'integer', (column) => column.notNull())
        .addColumn('candidate_ok', 'integer', (column) => column.notNull())
        .addColumn('agreed', 'integer', (column) => column.notNull())
        .addColumn('active_ms', 'double precision', (column) => column.notNull())
        .addColumn('candidate_ms', 'double precision', (column) => column.notNull())
        .addColumn('candidate_error_code', 'text')
        .addColumn('at', bigint, (column) => column.notNull())
        .execute();
      await db.schema.createIndex('regression_shadow_runs_candidate').on('regression_shadow_runs').columns(['tool', 'candidate_hash', 'seq']).execute();
    },
  };
}

/** Every regression migration, oldest first. Forward only: a published migration never changes. */
export function regressionMigrations(dialect: RegressionDatabase['dialect']): Record<string, Migration> {
  return { '0001_cases_shadow_runs': casesAndShadowRuns(dialect) };
}

/**
 * Brings the regression tables up to date with kysely's Migrator, forward only, and refuses
 * (`STORAGE_SCHEMA_TOO_NEW`) a database migrated by a newer version of this package. On
 * SQLite the run holds the write lock (`BEGIN IMMEDIATE`); on PostgreSQL kysely runs it in
 * one transaction under an advisory lock, in the connection's current schema.
 */
export async function migrateRegressionTables(database: RegressionDatabase): Promise<void> {
  const migrations = regressionMigrations(database.dialect);
  try {
    if (database.dialect === 'sqlite') {
      await database.kysely.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          await migrate(connection, database, migrations, undefined);
          await sql`commit`.execute(connection);
        } catch (error) {
          await sql`rollback`.execute(connection).catch(() => {});
          throw error;
        }
      });
    } else {
      const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(database.kysely);
      const schema = result.rows[0]?.schema ?? undefined;
      await migrate(withCurrentSchemaIntrospection(database.kysely), database, migrations, schema ?? undefined);
    }
  } catch (error) {
    throw toStorageError(error, `migrate the regression tables of ${database.url ?? `the ${database.dialect} database`}`);
  }
}

async function migrate(db: Kysely<unknown>, database: RegressionDatabase, migrations: Record<string, Migration>, schema: string | undefined): Promise<void> {
  const unknown = (await appliedMigrations(db, database.dialect)).filter((name) => !Object.hasOwn(migrations, name));
  if (unknown.length > 0) throw tooNew(database, unknown);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: REGRESSION_MIGRATION_TABLE,
    migrationLockTableName: `${REGRESSION_MIGRATION_TABLE}_lock`,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const missing = /previously executed migration (\S+) is missing/.exec(error instanceof Error ? error.message : '');
  if (missing?.[1] !== undefined) throw tooNew(database, [missing[1]]);
  throw error;
}

async function appliedMigrations(db: Kysely<unknown>, dialect: RegressionDatabase['dialect']): Promise<string[]> {
  const exists =
    dialect === 'sqlite'
      ? await sql`select 1 from sqlite_master where type = 'table' and name = ${REGRESSION_MIGRATION_TABLE}`.execute(db)
      : await sql`select 1 from information_schema.tables where table_schema = current_schema() and table_name = ${REGRESSION_MIGRATION_TABLE}`.execute(db);
  if (exists.rows.length === 0) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(REGRESSION_MIGRATION_TABLE)} order by name`.execute(db);
  return rows.rows.map((row) => row.name);
}

function tooNew(database: RegressionDatabase, unknown: readonly string[]): StorageError {
  return new StorageError(
    'STORAGE_SCHEMA_TOO_NEW',
    `The regression tables of ${database.url ?? `the ${database.dialect} database`} were migrated by a newer @toolwright/regression (unknown migrations: ${unknown.join(', ')}). Upgrade @toolwright/regression to use them; this version will not touch them.`,
    { details: { unknownMigrations: [...unknown], table: REGRESSION_MIGRATION_TABLE } },
  );
}
