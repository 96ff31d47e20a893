import { openDatabase } from '@toolwright/store';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend, sqliteBackend, type Backend } from '@toolwright/store/testing';
import type { DatabaseAt } from './fixture.js';

export type TestHandle = Awaited<ReturnType<typeof openDatabase>>;

/** SQLite always; PostgreSQL when TOOLWRIGHT_TEST_POSTGRES_URL is set (a notice says when it is skipped). */
export function testBackends(label: string): Backend<TestHandle>[] {
  noticePostgresSkipped(`@toolwright/mcp ${label}`);
  const open = (url: string, options: { schema?: string }) => openDatabase(url, options);
  return [sqliteBackend(open, 'mcp'), ...(POSTGRES_URL === undefined ? [] : [postgresBackend(open, 'mcp')])];
}

/** A fresh database of `backend`: where it is, and the function that removes it. */
export async function freshDatabase(backend: Backend<TestHandle>): Promise<{ readonly at: DatabaseAt; cleanup(): Promise<void> }> {
  const database = await backend.create();
  return { at: { url: database.url, ...(database.options.schema === undefined ? {} : { schema: database.options.schema }) }, cleanup: () => database.cleanup() };
}

/** SQLite alone, for tests that need no second backend. */
export function sqliteTestBackend(): Backend<TestHandle> {
  return sqliteBackend((url: string, options: { schema?: string }) => openDatabase(url, options), 'mcp');
}
