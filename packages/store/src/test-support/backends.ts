import type { Database } from '../database/database.js';
import { openDatabase } from '../database/open-database.js';
import { postgresBackend as onPostgres, sqliteBackend as onSqlite, type Backend as StoreBackend, type TestDatabase as StoreTestDatabase } from '../testing/backends.js';

export { noticePostgresSkipped, POSTGRES_URL } from '../testing/backends.js';

/** One isolated database for one test, opened with this package's `openDatabase`. */
export type TestDatabase = StoreTestDatabase<Database>;
/** A database a suite runs against. */
export type Backend = StoreBackend<Database>;

/** A SQLite file in a fresh temporary directory. */
export const sqliteBackend: Backend = onSqlite(openDatabase, 'store');
/** A uniquely named schema on the test PostgreSQL server, dropped afterwards. */
export const postgresBackend: Backend = onPostgres(openDatabase, 'store');
