import {
  type AuditEntry,
  type AuditEntryInput,
  type Invocation,
  invocationSchema,
  type Lesson,
  type LessonInput,
  MAX_SERIES_BUCKETS,
  type Memory,
  parseOrThrow,
  type SeriesOptions,
  StorageError,
  type SummaryOptions,
  type SummaryWindow,
  type ToolSeriesSummary,
  type ToolSummary,
  toolNameSchema,
  ValidationError,
} from '@toolwright/core';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { type Database, driverMessage, type InUnit, joinOrRunUnit, runMigrations, toStorageError, type UnitOfWork } from '@toolwright/store';
import { AuditLog } from './audit-log.js';
import { InvocationBuffer } from './invocation-buffer.js';
import { invocationLimitProblem, isValidInvocation } from './invocation-check.js';
import { createInvocationWriter, toValues } from './invocation-writer.js';
import { LessonStore } from './lesson-store.js';
import { memoryMigrationPlan } from './migrations/memory-migrations.js';
import { querySeries } from './series-query.js';
import { querySummary } from './summary-query.js';
import type { MemoryTables } from './tables.js';

/** Options of {@link createMemory}. */
export interface CreateMemoryOptions {
  /**
   * The database, from `openDatabase` (of `@toolwright/store`, re-exported here). Memory never
   * closes it: that is the opener's job. Units of work passed to `audit` must be opened on it.
   */
  readonly database: Pick<Database, 'dialect' | 'url' | 'kysely'>;
  /**
   * Invocations written per batch (one transaction); a full batch starts a flush. Larger
   * batches write faster (fewer commits) but hold the SQLite connection longer. On SQLite,
   * when several batches wait, they share one transaction (up to 10,000 invocations, whole
   * batches only), the event loop turning between them. Default 1,000.
   */
  readonly batchSize?: number;
  /** The longest an invocation waits in the buffer before a flush starts. Default 200 ms. */
  readonly flushIntervalMs?: number;
  /**
   * The most invocations kept while the database keeps failing; beyond it `record` drops new
   * ones and counts them in `stats().dropped`. Default 100,000.
   */
  readonly maxBufferedInvocations?: number;
  /** Told when a background flush fails (the batch stays buffered and is retried). Default: a process warning. */
  readonly onFlushError?: (error: StorageError) => void;
  /**
   * Told when invocations are dropped, with a `StorageError` whose code says why:
   * `STORAGE_BUFFER_FULL` once when the buffer fills up (the database kept failing; told again
   * after it drained and filled up anew), `STORAGE_INVOCATION_REFUSED` for each invocation the
   * database refused on its own (its batch was retried in parts; `details` names the tool,
   * version and startedAt). Default: a process warning with that code.
   */
  readonly onInvocationsDropped?: (error: StorageError) => void;
  /** How many of the most recent errors a summary lists. Default 10. */
  readonly recentErrorLimit?: number;
  /** The clock for lesson and audit timestamps, in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** Counters of the invocation buffer. */
export interface MemoryStats {
  /** Recorded, not yet written. */
  readonly buffered: number;
  /** Written to the database by this instance. */
  readonly written: number;
  /** Refused because the buffer was full (the database kept failing). */
  readonly dropped: number;
  /** Refused by the database on their own (a row its batch could not be written with), and dropped. */
  readonly refused: number;
}

/**
 * A summary from {@link MemoryStore.summary}. When the flush before it failed, the summary is
 * still computed from what is in the database, and `writeError` says what could not be
 * written (those invocations stay buffered and are retried; they are not in this summary).
 */
export interface MemorySummary extends ToolSummary {
  readonly writeError?: StorageError;
}

/** A {@link Memory} persisted through kysely in SQLite or PostgreSQL. */
export interface MemoryStore extends Memory {
  /**
   * Appends to the audit log; there is no way to edit or delete an entry. `entry.action` is one
   * of core's `AUDIT_ACTIONS` (anything else is `INVALID_ARGUMENT`, and nothing is written).
   *
   * With `options.unit`, the entry is inserted in that unit's transaction (`joinOrRunUnit`): it
   * commits or rolls back with the unit's other writes — the gate's review, registry
   * transition and audit entry are one transaction — and `auditLog()` lists it only once the
   * unit has committed. The unit must be opened on the handle this memory was created on
   * (`INVALID_ARGUMENT` otherwise). Without a unit the entry is committed on its own.
   *
   * @example
   * ```ts
   * await runInUnit(database, async (unit) => {
   *   await registryWriter.promote('total_fares', 2, { unit });
   *   await memory.audit({ actor, action: 'rewrite-tool.applied', artifact: 'total_fares', toVersion: 2, reason }, { unit });
   * });
   * ```
   */
  audit(entry: AuditEntryInput, options?: InUnit): Promise<AuditEntry>;
  /**
   * Summarises a tool's calls (see core's `Memory.summary`), after flushing what this instance
   * recorded. A failed flush does not fail the summary: it answers from the database, with
   * the flush's error as `writeError`.
   */
  summary(tool: string, options: SummaryOptions): Promise<MemorySummary>;
  /**
   * A tool's figures per time bucket and version (see core's `Memory.series`), after flushing
   * what this instance recorded, in one grouped query. `since`, `until` and `bucketMs` are
   * integers (ms) with `until > since`, `bucketMs ≥ 1` and at most `MAX_SERIES_BUCKETS` (1,000)
   * buckets; anything else is `INVALID_ARGUMENT`. A failed flush fails the call (with the
   * flush's `StorageError`), unlike `summary`: a plot missing recent calls would not say so.
   *
   * @example
   * ```ts
   * const day = 86_400_000;
   * const series = await memory.series('total_fares', { since: Date.now() - 7 * day, until: Date.now(), bucketMs: day });
   * for (const bucket of series.buckets) console.log(new Date(bucket.start), `v${bucket.version}`, bucket.count, bucket.latency.p95);
   * ```
   */
  series(tool: string, options: SeriesOptions): Promise<ToolSeriesSummary>;
  /** Counters of the invocation buffer, for health checks. */
  stats(): MemoryStats;
}

const optionsSchema = z
  .object({
    database: z.custom<CreateMemoryOptions['database']>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        ((value as { dialect?: unknown }).dialect === 'sqlite' || (value as { dialect?: unknown }).dialect === 'postgres') &&
        typeof (value as { kysely?: unknown }).kysely === 'object',
      { message: 'pass the database handle that openDatabase() returns' },
    ),
    batchSize: z.number().int().min(1).max(100_000).optional(),
    flushIntervalMs: z.number().int().min(1).max(3_600_000).optional(),
    maxBufferedInvocations: z.number().int().min(1).optional(),
    onFlushError: z.custom<(error: StorageError) => void>((value) => typeof value === 'function').optional(),
    onInvocationsDropped: z.custom<(error: StorageError) => void>((value) => typeof value === 'function').optional(),
    recentErrorLimit: z.number().int().min(0).max(1000).optional(),
    now: z.custom<() => number>((value) => typeof value === 'function').optional(),
  })
  .strict();

const inUnitSchema = z
  .object({
    unit: z
      .custom<UnitOfWork>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as { kysely?: unknown }).kysely === 'object' &&
          typeof (value as { database?: unknown }).database === 'object' &&
          typeof (value as { afterCommit?: unknown }).afterCommit === 'function',
        { message: 'pass the unit of work that runInUnit() hands to its callback' },
      )
      .optional(),
  })
  .strict();

const versionSchema = z.number().int().min(1).optional();
const summaryOptionsSchema = z.union([
  z.object({ lastN: z.number().int().min(1).max(10_000_000), version: versionSchema }).strict(),
  z
    .object({
      since: z.number().int().nonnegative(),
      until: z.number().int().nonnegative().optional(),
      version: versionSchema,
    })
    .strict()
    .refine((window) => window.until === undefined || window.until > window.since, {
      message: 'until must be after since',
      path: ['until'],
    }),
]);

const seriesOptionsSchema = z
  .object({
    since: z.number().int().nonnegative(),
    until: z.number().int().nonnegative(),
    bucketMs: z.number().int().min(1),
    version: versionSchema,
  })
  .strict()
  .refine((options) => options.until > options.since, { message: 'until must be after since', path: ['until'] })
  .refine((options) => !(options.until > options.since) || Math.ceil((options.until - options.since) / options.bucketMs) <= MAX_SERIES_BUCKETS, {
    message: `at most ${MAX_SERIES_BUCKETS} buckets: raise bucketMs to at least ⌈(until − since) / ${MAX_SERIES_BUCKETS}⌉, or narrow the range`,
    path: ['bucketMs'],
  });

/**
 * Creates the memory of what happened on an open database, running memory's migrations
 * first (tables `memory_*`, migration table `toolwright_memory_migrations`).
 *
 * `record` only validates and queues; batches reach the database when `batchSize` wait,
 * after `flushIntervalMs`, on `flush()` and on `close()`. If the process dies without
 * `close()`, what was recorded in that last interval (at most `flushIntervalMs`, or up to
 * `batchSize` invocations, plus what is in flight: a batch, or on SQLite a group of batches
 * of up to 10,000 invocations) is lost; everything flushed before is committed, whole
 * batches only.
 *
 * @example
 * ```ts
 * const database = await openDatabase('sqlite:./toolwright.db');
 * const memory = await createMemory({ database });
 * memory.record({ tool: 'total_fares', version: 1, startedAt: Date.now(), durationMs: 3,
 *   outcome: { ok: true }, inputHash: contentHash(input), outputHash: contentHash(output) });
 * const summary = await memory.summary('total_fares', { lastN: 50 });
 * await memory.close();
 * await database.close();
 * ```
 */
export async function createMemory(options: CreateMemoryOptions): Promise<MemoryStore> {
  if (typeof options === 'object' && options !== null && 'db' in options && !('database' in options)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'createMemory options: the database handle is now passed as `database` (the `db` option was renamed): createMemory({ database }).',
    );
  }
  const checked = parseOrThrow(optionsSchema, options, 'createMemory options');
  const { database } = checked;
  await runMigrations(database, memoryMigrationPlan(database.dialect));
  return new DatabaseMemory({
    database,
    batchSize: checked.batchSize ?? 1000,
    flushIntervalMs: checked.flushIntervalMs ?? 200,
    maxBuffered: checked.maxBufferedInvocations ?? 100_000,
    onFlushError:
      checked.onFlushError ??
      ((error) => process.emitWarning(`@toolwright/memory: ${error.message} It will be retried.`, 'ToolwrightWarning')),
    onInvocationsDropped:
      checked.onInvocationsDropped ?? ((error) => process.emitWarning(`@toolwright/memory: ${error.message}`, { type: 'ToolwrightWarning', code: error.code })),
    recentErrorLimit: checked.recentErrorLimit ?? 10,
    now: checked.now ?? Date.now,
  });
}

interface ResolvedOptions {
  readonly database: CreateMemoryOptions['database'];
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxBuffered: number;
  readonly onFlushError: (error: StorageError) => void;
  readonly onInvocationsDropped: (error: StorageError) => void;
  readonly recentErrorLimit: number;
  readonly now: () => number;
}

class DatabaseMemory implements MemoryStore {
  readonly #database: CreateMemoryOptions['database'];
  readonly #kysely: Kysely<MemoryTables>;
  readonly #buffer: InvocationBuffer;
  readonly #lessons: LessonStore;
  readonly #audit: AuditLog;
  readonly #recentErrorLimit: number;
  #closed: Promise<void> | undefined;

  constructor(options: ResolvedOptions) {
    this.#database = options.database;
    this.#kysely = options.database.kysely as Kysely<MemoryTables>;
    const { url } = options.database;
    const writer = createInvocationWriter(options.database);
    this.#buffer = new InvocationBuffer({
      batchSize: options.batchSize,
      flushIntervalMs: options.flushIntervalMs,
      maxBuffered: options.maxBuffered,
      groupRows: writer.groupRows,
      write: async (batches) => {
        try {
          await writer.write(batches);
        } catch (error) {
          const rows = batches.reduce((sum, batch) => sum + batch.length, 0);
          throw toStorageError(error, `writing ${rows} invocations to ${url}`);
        }
      },
      onBackgroundError: (error) => options.onFlushError(asStorageError(error, `flushing invocations to ${url}`)),
      isRowError,
      onRefused: (values, error) => {
        const [tool, version, startedAt] = values;
        const cause = StorageError.isInstance(error) && error.cause !== undefined ? error.cause : error;
        options.onInvocationsDropped(
          new StorageError(
            'STORAGE_INVOCATION_REFUSED',
            `${url} refused a call of "${String(tool)}" v${String(version)} at ${String(startedAt)} (${driverMessage(cause)}); it was dropped, and the calls recorded around it were written. Check the tool's error codes and messages, or the table's constraints.`,
            { cause, details: { tool, version, startedAt } },
          ),
        );
      },
      onFull: (dropped) =>
        options.onInvocationsDropped(
          new StorageError(
            'STORAGE_BUFFER_FULL',
            `The invocation buffer is full (${options.maxBuffered} waiting: ${url} kept failing); new calls are dropped (${dropped} so far, see stats().dropped) until it drains. Fix the database, or raise maxBufferedInvocations.`,
            { details: { maxBuffered: options.maxBuffered, dropped } },
          ),
        ),
    });
    this.#lessons = new LessonStore(this.#kysely, options.now);
    this.#audit = new AuditLog(this.#kysely, options.now);
    this.#recentErrorLimit = options.recentErrorLimit;
  }

  record(invocation: Invocation): void {
    if (this.#closed !== undefined) {
      throw new StorageError('STORAGE_CLOSED', `Cannot record a call of "${String((invocation as { tool?: unknown })?.tool)}": this memory is closed.`);
    }
    // The hand-written check passes valid invocations in well under a microsecond; anything it
    // refuses goes to the zod schema, which is the authority and throws INVALID_ARGUMENT.
    if (!isValidInvocation(invocation)) {
      const parsed: Invocation = parseOrThrow(invocationSchema, invocation, 'invocation');
      // Valid for core, but beyond what memory's columns hold: refused alike on both databases.
      const problem = invocationLimitProblem(parsed);
      if (problem !== undefined) throw new ValidationError('INVALID_ARGUMENT', `Invalid invocation of "${parsed.tool}": ${problem}.`);
    }
    this.#buffer.add(toValues(invocation));
  }

  async flush(): Promise<void> {
    this.#ensureOpen('flush');
    await this.#buffer.flush();
  }

  async summary(tool: string, options: SummaryOptions): Promise<MemorySummary> {
    this.#ensureOpen('summarise');
    const name = parseOrThrow(toolNameSchema, tool, 'tool name');
    const parsed = parseOrThrow(summaryOptionsSchema, options, 'summary options');
    const window: SummaryWindow =
      'lastN' in parsed
        ? { lastN: parsed.lastN }
        : parsed.until === undefined
          ? { since: parsed.since }
          : { since: parsed.since, until: parsed.until };
    // Read your own writes: what this instance recorded is part of its summaries. A failed
    // write must not take the read down with it: it is reported beside the summary.
    let writeError: StorageError | undefined;
    try {
      await this.#buffer.flush();
    } catch (error) {
      const cause = asStorageError(error, `flushing invocations to ${this.#database.url}`);
      writeError = new StorageError(
        cause.code,
        `${this.#buffer.buffered} recorded calls could not be written and are not in this summary (they stay buffered and are retried): ${cause.message}`,
        { cause },
      );
    }
    const summary: ToolSummary = await this.#run(`summarising "${name}"`, () =>
      querySummary(this.#kysely, this.#database.dialect, {
        tool: name,
        version: parsed.version,
        window,
        recentErrorLimit: this.#recentErrorLimit,
      }),
    );
    return writeError === undefined ? summary : { ...summary, writeError };
  }

  async series(tool: string, options: SeriesOptions): Promise<ToolSeriesSummary> {
    this.#ensureOpen('summarise a series');
    const name = parseOrThrow(toolNameSchema, tool, 'tool name');
    const parsed = parseOrThrow(seriesOptionsSchema, options, 'series options');
    try {
      await this.#buffer.flush();
    } catch (error) {
      throw asStorageError(error, `flushing invocations to ${this.#database.url} before a series of "${name}"`);
    }
    return this.#run(`summarising a series of "${name}"`, () =>
      querySeries(this.#kysely, { tool: name, version: parsed.version, since: parsed.since, until: parsed.until, bucketMs: parsed.bucketMs }),
    );
  }

  async addLesson(lesson: LessonInput): Promise<Lesson> {
    this.#ensureOpen('add a lesson');
    return this.#run('adding a lesson', () => this.#lessons.add(lesson));
  }

  async updateLesson(id: string, lesson: LessonInput): Promise<Lesson> {
    this.#ensureOpen('update a lesson');
    return this.#run(`superseding lesson ${String(id)}`, () => this.#lessons.add(lesson, id));
  }

  async rateLesson(id: string, rating: 'helpful' | 'harmful'): Promise<Lesson> {
    this.#ensureOpen('rate a lesson');
    return this.#run(`rating lesson ${String(id)}`, () => this.#lessons.rate(id, rating));
  }

  async lessons(query?: { readonly tags?: readonly string[]; readonly limit?: number }): Promise<Lesson[]> {
    this.#ensureOpen('list lessons');
    return this.#run('listing lessons', () => this.#lessons.list(query ?? {}));
  }

  async audit(entry: AuditEntryInput, options?: InUnit): Promise<AuditEntry> {
    this.#ensureOpen('append to the audit log');
    const checked = this.#audit.check(entry);
    const { unit } = parseOrThrow(inUnitSchema, options ?? {}, 'audit options');
    return this.#run('appending to the audit log', () =>
      unit === undefined
        ? // One INSERT is atomic on its own: no transaction to open around it.
          this.#audit.append(checked)
        : joinOrRunUnit(this.#database, unit, (joined) => this.#audit.append(checked, joined.kysely as Kysely<MemoryTables>)),
    );
  }

  async auditLog(query?: { readonly artifact?: string; readonly limit?: number }): Promise<AuditEntry[]> {
    this.#ensureOpen('read the audit log');
    return this.#run('reading the audit log', () => this.#audit.list(query ?? {}));
  }

  stats(): MemoryStats {
    return { buffered: this.#buffer.buffered, written: this.#buffer.written, dropped: this.#buffer.dropped, refused: this.#buffer.refused };
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#buffer.stop();
      await this.#buffer.flush();
    })();
    return this.#closed;
  }

  #ensureOpen(what: string): void {
    if (this.#closed !== undefined) throw new StorageError('STORAGE_CLOSED', `Cannot ${what}: this memory is closed.`);
  }

  async #run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStorageError(error, `${what} in ${this.#database.url}`);
    }
  }
}

function asStorageError(error: unknown, what: string): StorageError {
  const mapped = toStorageError(error, what);
  return StorageError.isInstance(mapped)
    ? mapped
    : new StorageError('STORAGE_FAILED', mapped.message, { cause: error });
}

/**
 * True when the database refused a write for what one of its rows holds, not for its own
 * state: PostgreSQL data exceptions (class 22: a NUL byte, a value out of range) and integrity
 * violations (class 23), SQLite constraint violations (but not a trigger's RAISE, which says
 * nothing about the row), type mismatches and values too big. Anything else (the database is
 * unreachable, full, read-only, locked, or a table is missing) keeps the batch whole and waiting.
 */
function isRowError(error: unknown): boolean {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return false;
  if (/^2[23][0-9A-Z]{3}$/.test(code)) return true;
  if (code.startsWith('SQLITE_CONSTRAINT')) return code !== 'SQLITE_CONSTRAINT_TRIGGER';
  return code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG';
}
