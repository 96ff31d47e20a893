import { type Database, openDatabase } from '@toolwright/store';
import { postgresBackend as onPostgres, sqliteBackend as onSqlite, type Backend } from '@toolwright/store/testing';

export { caught, noticePostgresSkipped, POSTGRES_URL, thrown } from '@toolwright/store/testing';
export type { Backend, TestDatabase } from '@toolwright/store/testing';

/** A SQLite file in a fresh temporary directory. */
export const sqliteBackend: Backend<Database> = onSqlite(openDatabase, 'rollout');
/** A uniquely named schema on the test PostgreSQL server, dropped afterwards. */
export const postgresBackend: Backend<Database> = onPostgres(openDatabase, 'rollout');
