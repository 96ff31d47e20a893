import { type Database, openDatabase } from '@toolwright/memory';
import { postgresBackend as onPostgres, sqliteBackend as onSqlite, type TestDatabase as StoreTestDatabase } from '@toolwright/store/testing';

export { noticePostgresSkipped, POSTGRES_URL } from '@toolwright/store/testing';

/** One isolated database: a temporary SQLite file or a fresh PostgreSQL schema, and a way to open it again. */
export type TestDatabase = StoreTestDatabase<Database>;

/** Where a suite stores cases: `memory` is the runner without a database. */
export interface Backend {
  readonly name: 'memory' | 'sqlite' | 'postgres';
  create(): Promise<TestDatabase | undefined>;
}

/** No database: cases live in the runner. */
export const memoryBackend: Backend = { name: 'memory', create: async () => undefined };
/** A SQLite file in a fresh temporary directory. */
export const sqliteBackend: Backend = onSqlite(openDatabase, 'regression');
/** A uniquely named schema on the test PostgreSQL server, dropped afterwards. */
export const postgresBackend: Backend = onPostgres(openDatabase, 'regression');
