import type { Invocation } from '@toolwright/core';
import { CompiledQuery } from 'kysely';
import { type SchemalessKysely, type SqliteConnection, sqliteConnectionOf, type SqliteStatement } from '@toolwright/store';
import { NUL_REPLACEMENT } from './invocation-check.js';

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

const NUL = '\0';
const NUL_EVERYWHERE = /\0/g;

/** The string without NUL characters, each replaced by U+FFFD (PostgreSQL text cannot hold NUL; SQLite gets the same). */
function withoutNul(value: string): string {
  return value.includes(NUL) ? value.replace(NUL_EVERYWHERE, NUL_REPLACEMENT) : value;
}

function optionalWithoutNul(value: string | undefined): string | null {
  return value === undefined ? null : withoutNul(value);
}

/**
 * Flattens an invocation into the column order of {@link COLUMNS}, normalised the same way
 * for both databases: a NUL in the error code, error message or task id becomes U+FFFD.
 */
export function toValues(invocation: Invocation): InvocationValues {
  const { outcome, tokens } = invocation;
  return [
    invocation.tool,
    invocation.version,
    invocation.startedAt,
    invocation.durationMs,
    outcome.ok ? 1 : 0,
    outcome.ok ? null : withoutNul(outcome.error.code),
    outcome.ok ? null : withoutNul(outcome.error.message),
    invocation.inputHash,
    invocation.outputHash ?? null,
    optionalWithoutNul(invocation.taskId),
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

/**
 * Writes invocations to the database. `write` takes one or more whole batches and writes
 * them in one transaction: all rows or none.
 */
export interface InvocationWriter {
  readonly write: (batches: readonly (readonly InvocationValues[])[]) => Promise<void>;
  /**
   * The most rows one `write` should carry when several batches wait (whole batches only, at
   * least one): 0 when this writer gains nothing from grouping them.
   */
  readonly groupRows: number;
}

/**
 * Rows one SQLite transaction may carry when a backlog of batches waits (group commit).
 * A commit writes every page the transaction dirtied to the WAL, and a batch of invocations
 * of many tools dirties a leaf page per tool (and per tool and version) in each index, however
 * few rows land on it: committing 10 waiting batches at once writes ~2,000 pages instead of
 * ~8,000 (see the README's benchmark section).
 */
const SQLITE_GROUP_ROWS = 10_000;

/** Lets timers, I/O and other queries' callbacks run between two statements of a long write. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The fastest atomic writer for a database handle. On a SQLite handle opened by
 * `openDatabase`, one prepared single-row INSERT is reused (several times faster than
 * re-preparing a multi-row statement per batch) inside one transaction per `write`, run while
 * holding kysely's connection so no other query interleaves; when several batches wait they
 * share that transaction (group commit), each batch's inserts in its own turn of the event
 * loop. PostgreSQL takes each batch as one `unnest` INSERT (grouping does not help there).
 * Any other handle goes through kysely, one batch per transaction.
 */
export function createInvocationWriter(database: { readonly dialect: 'sqlite' | 'postgres'; readonly kysely: SchemalessKysely }): InvocationWriter {
  const { dialect, kysely } = database;
  const connection = dialect === 'sqlite' ? sqliteConnectionOf(database) : undefined;
  if (connection === undefined) {
    return {
      groupRows: 0,
      write: (batches) => writeThroughKysely(kysely, dialect, batches.length === 1 ? (batches[0] as readonly InvocationValues[]) : batches.flat()),
    };
  }
  let statements: SqliteStatements | undefined;
  return {
    groupRows: SQLITE_GROUP_ROWS,
    write: async (batches) => {
      if (batches.every((batch) => batch.length === 0)) return;
      await kysely.connection().execute(async () => {
        statements ??= prepareSqliteStatements(connection);
        const { begin, insert, commit, rollback } = statements;
        begin.run();
        try {
          for (let index = 0; index < batches.length; index++) {
            if (index > 0) await yieldToEventLoop();
            for (const values of batches[index] as readonly InvocationValues[]) insert.run(values);
          }
          commit.run();
        } catch (error) {
          // A failed statement can leave the transaction open; a failed COMMIT in WAL mode
          // (SQLITE_BUSY) leaves it open too. Either way nothing of it may stay; the original
          // error is the one worth reporting.
          if (connection.open && connection.inTransaction) {
            try {
              rollback.run();
            } catch {
              // The next BEGIN fails and reports the state the connection is in.
            }
          }
          throw error;
        }
      });
    },
  };
}

interface SqliteStatements {
  readonly begin: SqliteStatement;
  readonly insert: SqliteStatement;
  readonly commit: SqliteStatement;
  readonly rollback: SqliteStatement;
}

function prepareSqliteStatements(raw: SqliteConnection): SqliteStatements {
  return {
    begin: raw.prepare('begin'),
    insert: raw.prepare(`insert into memory_invocations (${COLUMNS.join(',')}) values (${COLUMNS.map(() => '?').join(',')})`),
    commit: raw.prepare('commit'),
    rollback: raw.prepare('rollback'),
  };
}
