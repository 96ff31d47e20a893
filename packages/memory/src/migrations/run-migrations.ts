import { StorageError } from '@toolwright/core';
import { type DatabaseIntrospector, type Migration, Migrator, sql, type TableMetadata } from 'kysely';
import type { SchemalessKysely } from '../database/database.js';
import { toStorageError } from '../database/storage-errors.js';

/** The part of a database handle migrations need. */
export interface MigratableDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  readonly url: string;
  readonly kysely: SchemalessKysely;
}

/** One package's migrations and the table that records which of them ran. */
export interface MigrationPlan {
  /** The package that owns the tables, for messages: `@toolwright/memory`. */
  readonly owner: string;
  /** The migration table; its lock table is `<table>_lock`. */
  readonly table: string;
  /** Forward-only migrations by name; names sort in the order they run. */
  readonly migrations: Readonly<Record<string, Migration>>;
}

/**
 * Brings a package's tables up to date with kysely's Migrator, forward only. Refuses
 * (`STORAGE_SCHEMA_TOO_NEW`) a database on which migrations this code does not know have run.
 *
 * On SQLite the whole run holds the write lock (`BEGIN IMMEDIATE`), so it is atomic and two
 * processes opening a new file at once do not race; on PostgreSQL kysely runs it in one
 * transaction under an advisory lock, in the connection's current schema.
 */
export async function runMigrations(database: MigratableDatabase, plan: MigrationPlan): Promise<void> {
  const what = `migrating the ${plan.owner} tables of ${database.url}`;
  try {
    if (database.dialect === 'sqlite') {
      await database.kysely.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          await migrate(connection, database, plan, undefined);
          await sql`commit`.execute(connection);
        } catch (error) {
          await sql`rollback`.execute(connection).catch(() => {});
          throw error;
        }
      });
    } else {
      const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(database.kysely);
      const schema = result.rows[0]?.schema ?? null;
      if (schema === null) {
        throw new StorageError('STORAGE_FAILED', `Cannot migrate ${database.url}: its search_path names no existing schema. Create the schema or fix search_path.`);
      }
      await migrate(database.kysely, database, plan, schema);
    }
  } catch (error) {
    throw toStorageError(error, what);
  }
}

async function migrate(db: SchemalessKysely, database: MigratableDatabase, plan: MigrationPlan, schema: string | undefined): Promise<void> {
  const applied = await appliedMigrations(db, database.dialect, plan.table);
  const unknown = applied.filter((name) => !Object.hasOwn(plan.migrations, name));
  if (unknown.length > 0) throw tooNew(database, plan, unknown);
  // Up to date (the usual case on open): nothing for kysely's Migrator to do.
  if (Object.keys(plan.migrations).every((name) => applied.includes(name))) return;
  const migrator = new Migrator({
    db: database.dialect === 'postgres' ? withCurrentSchemaIntrospection(db) : db,
    provider: { getMigrations: async () => ({ ...plan.migrations }) },
    migrationTableName: plan.table,
    migrationLockTableName: `${plan.table}_lock`,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error } = await migrator.migrateToLatest();
  if (error === undefined) return;
  // Another process with newer code migrated between our check and kysely's.
  const missing = /previously executed migration (\S+) is missing/.exec(error instanceof Error ? error.message : '');
  if (missing?.[1] !== undefined) throw tooNew(database, plan, [missing[1]]);
  throw error;
}

/** Names of the migrations recorded in `table`, or none when the table does not exist. */
export async function appliedMigrations(db: SchemalessKysely, dialect: 'sqlite' | 'postgres', table: string): Promise<string[]> {
  const exists =
    dialect === 'sqlite'
      ? await sql`select 1 from sqlite_master where type = 'table' and name = ${table}`.execute(db)
      : await sql`select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = current_schema() and c.relname = ${table} and c.relkind in ('r', 'p')`.execute(db);
  if (exists.rows.length === 0) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(table)} order by name`.execute(db);
  return rows.rows.map((row) => row.name);
}

/**
 * The same kysely instance, but its introspection sees only the current schema. kysely's
 * Migrator asks the introspector whether its tables exist, and the stock PostgreSQL
 * introspector reads every table of every schema with catalog functions that fail ("schema
 * … does not exist") when another schema is dropped at the same moment — which happens
 * whenever deployments or test runs share a server. This one reads plain catalog rows of the
 * current schema only.
 */
function withCurrentSchemaIntrospection(db: SchemalessKysely): SchemalessKysely {
  const introspector: DatabaseIntrospector = {
    async getSchemas() {
      const result = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = current_schema()`.execute(db);
      return result.rows;
    },
    async getTables(): Promise<TableMetadata[]> {
      const result = await sql<{ name: string; schema: string; kind: string }>`select c.relname as name, n.nspname as schema, c.relkind as kind
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v')`.execute(db);
      return result.rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.kind === 'v', columns: [] }));
    },
    async getMetadata() {
      return { tables: await introspector.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspector;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function tooNew(database: MigratableDatabase, plan: MigrationPlan, unknown: readonly string[]): StorageError {
  return new StorageError(
    'STORAGE_SCHEMA_TOO_NEW',
    `The database ${database.url} was migrated by a newer ${plan.owner} (unknown migrations: ${unknown.join(', ')}). Upgrade ${plan.owner} to open it; this version will not touch it.`,
    { details: { unknownMigrations: [...unknown], table: plan.table } },
  );
}
