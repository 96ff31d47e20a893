import type { Invocation } from '@toolwright/core';
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import type { SchemalessKysely } from './database/database.js';
import { sqliteConnectionOf } from './database/sqlite-database.js';

/** The columns of `memory_invocations` a write fills, in order. */
const COLUMNS = [
  'tool',
  'version',
  'started_at',
  'duration_ms',
  'ok',
  'error_code',
  'error_message',
  'input_hash',
  'output_hash',
  'task_id',
  'model_turn',
  'input_tokens',
  'output_tokens',
] as const;

const PG_TYPES = ['text', 'int4', 'int8', 'float8', 'int4', 'text', 'text', 'text', 'text', 'text', 'int4', 'int4', 'int4'] as const;

/** One buffered invocation, already flattened into column order. */
export type InvocationValues = readonly (string | number | null)[];

/** Flattens an invocation into the column order of {@link COLUMNS}. */
export function toValues(invocation: Invocation): InvocationValues {
  const { outcome, tokens } = invocation;
  return [
    invocation.tool,
    invocation.version,
    invocation.startedAt,
    invocation.durationMs,
    outcome.ok ? 1 : 0,
    outcome.ok ? null : outcome.error.code,
    outcome.ok ? null : outcome.error.message,
    invocation.inputHash,
    invocation.outputHash ?? null,
    invocation.taskId ?? null,
    invocation.modelTurn ?? null,
    tokens?.inputTokens ?? null,
    tokens?.outputTokens ?? null,
  ];
}

/** Rows per INSERT statement on SQLite (13 columns × 500 rows stays far below its variable limit). */
const SQLITE_ROWS_PER_STATEMENT = 500;

const sqliteStatements = new Map<number, string>();

function sqliteInsert(rows: number): string {
  let text = sqliteStatements.get(rows);
  if (text === undefined) {
    const row = `(${COLUMNS.map(() => '?').join(',')})`;
    text = `insert into memory_invocations (${COLUMNS.join(',')}) values ${Array.from({ length: rows }, () => row).join(',')}`;
    if (sqliteStatements.size < 64) sqliteStatements.set(rows, text);
  }
  return text;
}

// On PostgreSQL one statement takes the whole batch as 13 arrays, whatever its size.
const POSTGRES_INSERT = `insert into memory_invocations (${COLUMNS.join(',')}) select * from unnest(${PG_TYPES.map(
  (type, index) => `$${index + 1}::${type}[]`,
).join(',')})`;

/**
 * Writes a batch of invocations in one transaction: all of them or none. Statement text is
 * prepared once per size; values are bound, never interpolated.
 */
async function writeThroughKysely(kysely: SchemalessKysely, dialect: 'sqlite' | 'postgres', batch: readonly InvocationValues[]): Promise<void> {
  if (batch.length === 0) return;
  if (dialect === 'postgres') {
    const columns: (string | number | null)[][] = COLUMNS.map(() => new Array(batch.length));
    for (let row = 0; row < batch.length; row++) {
      const values = batch[row] as InvocationValues;
      for (let column = 0; column < COLUMNS.length; column++) (columns[column] as unknown[])[row] = values[column];
    }
    // A single statement is atomic on its own.
    await kysely.executeQuery(CompiledQuery.raw(POSTGRES_INSERT, columns));
    return;
  }
  await kysely.transaction().execute(async (transaction) => {
    for (let start = 0; start < batch.length; start += SQLITE_ROWS_PER_STATEMENT) {
      const chunk = batch.slice(start, start + SQLITE_ROWS_PER_STATEMENT);
      const parameters: (string | number | null)[] = [];
      for (const values of chunk) parameters.push(...values);
      await transaction.executeQuery(CompiledQuery.raw(sqliteInsert(chunk.length), parameters));
    }
  });
}

/** Writes one batch atomically (all rows or none). */
export type InvocationWriter = (batch: readonly InvocationValues[]) => Promise<void>;

/**
 * The fastest atomic batch writer for a database handle. On a SQLite handle opened by
 * `openDatabase`, one prepared single-row INSERT is reused inside one better-sqlite3
 * transaction (several times faster than re-preparing a multi-row statement per batch), run
 * while holding kysely's connection so no other query interleaves. PostgreSQL takes the batch
 * as one `unnest` INSERT. Any other handle goes through kysely.
 */
export function createInvocationWriter(database: { readonly dialect: 'sqlite' | 'postgres'; readonly kysely: SchemalessKysely }): InvocationWriter {
  const { dialect, kysely } = database;
  const connection = dialect === 'sqlite' ? sqliteConnectionOf(database) : undefined;
  if (connection === undefined) return (batch) => writeThroughKysely(kysely, dialect, batch);
  let insertAll: ((batch: readonly InvocationValues[]) => void) | undefined;
  const prepare = (raw: BetterSqlite3.Database) => {
    const insert = raw.prepare(`insert into memory_invocations (${COLUMNS.join(',')}) values (${COLUMNS.map(() => '?').join(',')})`);
    return raw.transaction((batch: readonly InvocationValues[]) => {
      for (const values of batch) insert.run(values);
    });
  };
  return async (batch) => {
    if (batch.length === 0) return;
    await kysely.connection().execute(async () => {
      insertAll ??= prepare(connection);
      insertAll(batch);
    });
  };
}
