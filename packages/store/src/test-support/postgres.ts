import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { MigratableDatabase } from '../run-migrations.js';

/** A bare kysely handle on PostgreSQL (no `@toolwright/memory`: this package sits below it), in `schema`, created first. */
export async function openPostgres(url: string, options: { schema?: string }): Promise<MigratableDatabase & { close(): Promise<void> }> {
  const { schema } = options;
  if (schema !== undefined) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists "${schema}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 4, ...(schema === undefined ? {} : { options: `-c search_path="${schema}"` }) });
  const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  return { dialect: 'postgres', kysely, close: () => kysely.destroy() };
}

/** The names of the tables in the current schema. */
export async function tablesOf(database: MigratableDatabase): Promise<string[]> {
  const result = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`.execute(database.kysely);
  return result.rows.map((row) => row.name);
}
