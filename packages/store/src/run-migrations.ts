import { StorageError } from '@toolwright/core';
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { enableDeferredWal } from './database/sqlite-database.js';
import { withCurrentSchemaIntrospection } from './current-schema-introspection.js';
import { toStorageError } from './storage-errors.js';

/** The databases Toolwright's stores run on. */
export type StoreDialect = 'sqlite' | 'postgres';

/**
 * A kysely instance that does not know its tables: one handle is shared by stores with
 * different tables, and each narrows it to its own, as kysely's `Migrator` does.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type SchemalessKysely = Kysely<any>;

/**
 * The part of a database handle migrations need, declared structurally: `openDatabase(url)`
 * returns one, and so does `{ dialect: 'sqlite', kysely }` over any
 * kysely instance.
 */
export interface MigratableDatabase {
  readonly dialect: StoreDialect;
  /** For messages (password redacted); when absent, messages say "the sqlite database". */
  readonly url?: string;
  readonly kysely: SchemalessKysely;
}

/** One package's migrations and the table that records which of them ran. */
export interface MigrationPlan {
  /** The package that owns the tables, for messages: `@toolwright/memory`. */
  readonly owner: string;
  /**
   * The migration table (kysely's layout: `name`, `timestamp`); its lock table is
   * `<table>_lock`. A published table name never changes: existing databases record their
   * migrations there.
   */
  readonly table: string;
  /** Forward-only migrations by name; names sort in the order they run. */
  readonly migrations: Readonly<Record<string, Migration>>;
}

/**
 * Brings a package's tables up to date with kysely's Migrator, forward only. Refuses
 * (`STORAGE_SCHEMA_TOO_NEW`) a database on which migrations this code does not know have run,
 * and leaves it untouched. Any other failure is a `StorageError` (see {@link toStorageError});
 * a migration that fails half-way leaves neither its tables nor a record of it.
 *
 * On SQLite the whole run holds the write lock (`BEGIN IMMEDIATE`), so it is atomic and two
 * processes opening a new file at once do not race; on PostgreSQL kysely runs it in one
 * transaction under an advisory lock, in the connection's current schema, introspecting only
 * that schema (see {@link withCurrentSchemaIntrospection}). An up-to-date database costs one
 * or two queries.
 *
 * @example
 * ```ts
 * await runMigrations(db, { owner: '@acme/notes', table: 'acme_notes_migrations', migrations: { '0001_notes': notesTable } });
 * ```
 */
export async function runMigrations(database: MigratableDatabase, plan: MigrationPlan): Promise<void> {
  const what = `migrating the ${plan.owner} tables of ${describe(database)}`;
  try {
    if (database.dialect === 'sqlite') {
      // Up to date (the usual case on open): answer without taking the write lock, so opening a
      // store never waits behind another writer. Anything else is decided again under the lock.
      const { unknown, pending } = compare(await appliedMigrations(database.kysely, 'sqlite', plan.table), plan);
      if (unknown.length === 0 && pending.length === 0) {
        enableDeferredWal(database);
        return;
      }
      if (unknown.length > 0) throw tooNew(database, plan, unknown);
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
      enableDeferredWal(database);
    } else {
      const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(database.kysely);
      const schema = result.rows[0]?.schema ?? null;
      if (schema === null) {
        throw new StorageError(
          'STORAGE_FAILED',
          `Cannot migrate the ${plan.owner} tables of ${describe(database)}: its search_path names no existing schema. Create the schema or fix search_path.`,
        );
      }
      await migrate(database.kysely, database, plan, schema);
    }
  } catch (error) {
    throw toStorageError(error, what);
  }
}

async function migrate(db: SchemalessKysely, database: MigratableDatabase, plan: MigrationPlan, schema: string | undefined): Promise<void> {
  const { unknown, pending } = compare(await appliedMigrations(db, database.dialect, plan.table), plan);
  if (unknown.length > 0) throw tooNew(database, plan, unknown);
  // Up to date (the usual case on open): nothing for kysely's Migrator to do.
  if (pending.length === 0) return;
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

/** The applied migrations this code does not know, and the ones it knows that have not run. */
function compare(applied: readonly string[], plan: MigrationPlan): { unknown: string[]; pending: string[] } {
  return {
    unknown: applied.filter((name) => !Object.hasOwn(plan.migrations, name)),
    pending: Object.keys(plan.migrations).filter((name) => !applied.includes(name)),
  };
}

/**
 * Names of the migrations recorded in `table`, in name order, or none when the table does not
 * exist (on PostgreSQL: in the current schema).
 */
export async function appliedMigrations(db: SchemalessKysely, dialect: StoreDialect, table: string): Promise<string[]> {
  const exists =
    dialect === 'sqlite'
      ? await sql`select 1 from sqlite_master where type = 'table' and name = ${table}`.execute(db)
      : await sql`select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = current_schema() and c.relname = ${table} and c.relkind in ('r', 'p')`.execute(db);
  if (exists.rows.length === 0) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(table)} order by name`.execute(db);
  return rows.rows.map((row) => row.name);
}

function describe(database: MigratableDatabase): string {
  return database.url ?? `the ${database.dialect} database`;
}

function tooNew(database: MigratableDatabase, plan: MigrationPlan, unknown: readonly string[]): StorageError {
  return new StorageError(
    'STORAGE_SCHEMA_TOO_NEW',
    `The ${plan.owner} tables of ${describe(database)} were migrated by a newer ${plan.owner} (unknown migrations: ${unknown.join(', ')}). Upgrade ${plan.owner} to open them; this version will not touch them.`,
    { details: { unknownMigrations: [...unknown], table: plan.table } },
  );
}
