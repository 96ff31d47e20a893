import { sql } from 'kysely';
import type { SchemalessKysely } from '@toolwright/store';
import type { ParkedJob, QueueStats } from './job-queue.js';
import { parkedOf, statsOf } from './pg-boss-queue.js';

type Readable = { readonly dialect: 'sqlite' | 'postgres'; readonly kysely: SchemalessKysely };

/** The current schema when pg-boss is installed in it, else `undefined`. Reads only. */
async function installedIn(database: Readable): Promise<string | undefined> {
  if (database.dialect !== 'postgres') return undefined;
  const { rows } = await sql<{ schema: string; installed: string | null }>`select current_schema() as schema, to_regclass(current_schema() || '.job')::text as installed`.execute(database.kysely);
  const row = rows[0];
  return row?.installed ? row.schema : undefined;
}

/**
 * Counts per queue of the fleet's jobs in this database, without starting a queue (for
 * `toolwright report`). `[]` on SQLite (jobs live in the memory of the process that runs them)
 * or when no job was ever sent.
 */
export async function readJobStats(database: Readable): Promise<QueueStats[]> {
  const schema = await installedIn(database);
  return schema === undefined ? [] : statsOf(database.kysely, schema);
}

/** The fleet's parked jobs (no attempt left) with their errors, newest first; `[]` on SQLite. */
export async function readParkedJobs(database: Readable, queue?: string): Promise<ParkedJob[]> {
  const schema = await installedIn(database);
  return schema === undefined ? [] : parkedOf(database.kysely, schema, queue);
}
