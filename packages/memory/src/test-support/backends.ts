import { type Database, openDatabase } from '@toolwright/store';
import { postgresBackend as onPostgres, sqliteBackend as onSqlite, type Backend as StoreBackend, type TestDatabase as StoreTestDatabase } from '@toolwright/store/testing';

export { noticePostgresSkipped, POSTGRES_URL } from '@toolwright/store/testing';

/** One isolated database for one test, opened with `openDatabase` of `@toolwright/store`. */
export type TestDatabase = StoreTestDatabase<Database>;
/** A database a suite runs against. */
export type Backend = StoreBackend<Database>;

/** A SQLite file in a fresh temporary directory. */
export const sqliteBackend: Backend = onSqlite(openDatabase, 'memory');
/** A uniquely named schema on the test PostgreSQL server, dropped afterwards. */
export const postgresBackend: Backend = onPostgres(openDatabase, 'memory');
