/**
 * `@toolwright/store`: the plumbing Toolwright's kysely-backed stores share — the database
 * handle every store is created on (`openDatabase`), units of work that span several stores
 * in one transaction, the schema-scoped migration runner, the mapping of driver errors to
 * `StorageError`, and current-schema introspection. Test backends live in
 * `@toolwright/store/testing`.
 *
 * @packageDocumentation
 */
export type { Database, DatabaseDialect, ListenOptions, NotificationListener, OpenDatabaseOptions } from './database/database.js';
export { openDatabase } from './database/open-database.js';
export { sqliteConnectionOf, type SqliteConnection, type SqliteStatement } from './database/sqlite-database.js';
export { withCurrentSchemaIntrospection } from './current-schema-introspection.js';
export {
  appliedMigrations,
  type MigratableDatabase,
  type MigrationPlan,
  runMigrations,
  type SchemalessKysely,
  type StoreDialect,
} from './run-migrations.js';
export { driverMessage, isUnreachableError, toStorageError } from './storage-errors.js';
export { joinOrRunUnit, runInUnit } from './unit-of-work.js';
export type { InUnit, UnitOfWork } from './unit-of-work.js';
