/**
 * The test backends Toolwright's stores share, public on purpose: one suite runs against a
 * temporary SQLite file and a fresh PostgreSQL schema (`TOOLWRIGHT_TEST_POSTGRES_URL`), and
 * assertions take the Toolwright error a call fails with.
 *
 * @packageDocumentation
 */
export {
  type Backend,
  noticePostgresSkipped,
  type OpenTestHandle,
  POSTGRES_URL,
  postgresBackend,
  sqliteBackend,
  type TestDatabase,
  type TestHandle,
} from './backends.js';
export { caught, thrown } from './errors.js';
export { type TerminatedOperation, type TerminateOptions, terminateWhileBlocked } from './terminate.js';
