import { parseOrThrow } from '@toolwright/core';
import { z } from 'zod';
import type { Database, OpenDatabaseOptions } from './database.js';
import { parseDatabaseUrl } from './database-url.js';
import { checkSchemaName, openPostgresDatabase } from './postgres-database.js';
import { openSqliteDatabase } from './sqlite-database.js';

const optionsSchema = z
  .object({
    schema: z.string().optional(),
    connectTimeoutMs: z.number().int().min(1).max(600_000).optional(),
    maxConnections: z.number().int().min(1).max(1000).optional(),
    busyTimeoutMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();

/**
 * Opens the database every Toolwright store persists in: memory, registry, regression and the
 * safety policy are each created on the handle (and migrate their own tables), and a unit of
 * work (`runInUnit`) spans the stores of one handle.
 *
 * - `sqlite:./toolwright.db` (relative to the working directory), `sqlite:///abs/path.db`,
 *   `sqlite::memory:` — embedded, nothing to start; WAL mode.
 * - `postgres://user:password@host:5432/database` — for several agent instances sharing one store.
 *
 * Errors: a malformed or unsupported URL is `STORAGE_BAD_URL`; a server that does not answer
 * (within `connectTimeoutMs`), refuses the login, or a file that cannot be opened as SQLite is
 * `STORAGE_UNREACHABLE`. Stores run their own migrations when they are created on the handle.
 *
 * @example
 * ```ts
 * const database = await openDatabase('sqlite:./toolwright.db');
 * const memory = await createMemory({ database });
 * // ...
 * await memory.close();
 * await database.close();
 * ```
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const parsed = parseDatabaseUrl(url);
  const checked = parseOrThrow(optionsSchema, options, 'openDatabase options');
  if (parsed.dialect === 'sqlite') {
    return openSqliteDatabase(parsed.path, parsed.redacted, checked.busyTimeoutMs ?? 5000);
  }
  return openPostgresDatabase(parsed.connectionString, parsed.redacted, {
    schema: checked.schema === undefined ? undefined : checkSchemaName(checked.schema),
    connectTimeoutMs: checked.connectTimeoutMs ?? 5000,
    maxConnections: checked.maxConnections ?? 10,
  });
}
