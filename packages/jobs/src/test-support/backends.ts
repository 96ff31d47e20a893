import { type Database, openDatabase } from '@toolwright/store';
import { postgresBackend as onPostgres, sqliteBackend as onSqlite, type Backend } from '@toolwright/store/testing';

export { caught, noticePostgresSkipped, POSTGRES_URL } from '@toolwright/store/testing';
export type { Backend, TestDatabase } from '@toolwright/store/testing';

/** A SQLite file in a fresh temporary directory. */
export const sqliteBackend: Backend<Database> = onSqlite(openDatabase, 'jobs');
/** A uniquely named schema on the test PostgreSQL server, dropped afterwards. */
export const postgresBackend: Backend<Database> = onPostgres(openDatabase, 'jobs');

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
