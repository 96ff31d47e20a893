/**
 * `@toolwright/store`: the plumbing Toolwright's kysely-backed stores share — the
 * schema-scoped migration runner, the mapping of driver errors to `StorageError`, and
 * current-schema introspection. Test backends live in `@toolwright/store/testing`.
 *
 * @packageDocumentation
 */
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
