import {
  type AuditEntry,
  type AuditEntryInput,
  type Invocation,
  invocationSchema,
  type Lesson,
  type LessonInput,
  type Memory,
  parseOrThrow,
  StorageError,
  type SummaryOptions,
  type SummaryWindow,
  type ToolSummary,
  toolNameSchema,
} from '@toolwright/core';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { runMigrations, toStorageError } from '@toolwright/store';
import { AuditLog } from './audit-log.js';
import type { Database } from './database/database.js';
import { InvocationBuffer } from './invocation-buffer.js';
import { isValidInvocation } from './invocation-check.js';
import { createInvocationWriter, toValues } from './invocation-writer.js';
import { LessonStore } from './lesson-store.js';
import { memoryMigrationPlan } from './migrations/memory-migrations.js';
import { querySummary } from './summary-query.js';
import type { MemoryTables } from './tables.js';

/** Options of {@link createMemory}. */
export interface CreateMemoryOptions {
  /** The database, from `openDatabase`. Memory never closes it: that is the opener's job. */
  readonly db: Pick<Database, 'dialect' | 'url' | 'kysely'>;
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
}

/** A {@link Memory} persisted through kysely in SQLite or PostgreSQL. */
export interface MemoryStore extends Memory {
  /** Counters of the invocation buffer, for health checks. */
  stats(): MemoryStats;
}

const optionsSchema = z
  .object({
    db: z.custom<CreateMemoryOptions['db']>(
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
    recentErrorLimit: z.number().int().min(0).max(1000).optional(),
    now: z.custom<() => number>((value) => typeof value === 'function').optional(),
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
 * const db = await openDatabase('sqlite:./toolwright.db');
 * const memory = await createMemory({ db });
 * memory.record({ tool: 'total_fares', version: 1, startedAt: Date.now(), durationMs: 3,
 *   outcome: { ok: true }, inputHash: contentHash(input), outputHash: contentHash(output) });
 * const summary = await memory.summary('total_fares', { lastN: 50 });
 * await memory.close();
 * await db.close();
 * ```
 */
export async function createMemory(options: CreateMemoryOptions): Promise<MemoryStore> {
  const checked = parseOrThrow(optionsSchema, options, 'createMemory options');
  const { db } = checked;
  await runMigrations(db, memoryMigrationPlan(db.dialect));
  return new DatabaseMemory({
    db,
    batchSize: checked.batchSize ?? 1000,
    flushIntervalMs: checked.flushIntervalMs ?? 200,
    maxBuffered: checked.maxBufferedInvocations ?? 100_000,
    onFlushError:
      checked.onFlushError ??
      ((error) => process.emitWarning(`@toolwright/memory: ${error.message} It will be retried.`, 'ToolwrightWarning')),
    recentErrorLimit: checked.recentErrorLimit ?? 10,
    now: checked.now ?? Date.now,
  });
}

interface ResolvedOptions {
  readonly db: CreateMemoryOptions['db'];
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxBuffered: number;
  readonly onFlushError: (error: StorageError) => void;
  readonly recentErrorLimit: number;
  readonly now: () => number;
}

class DatabaseMemory implements MemoryStore {
  readonly #db: CreateMemoryOptions['db'];
  readonly #kysely: Kysely<MemoryTables>;
  readonly #buffer: InvocationBuffer;
  readonly #lessons: LessonStore;
  readonly #audit: AuditLog;
  readonly #recentErrorLimit: number;
  #closed: Promise<void> | undefined;

  constructor(options: ResolvedOptions) {
    this.#db = options.db;
    this.#kysely = options.db.kysely as Kysely<MemoryTables>;
    const { url } = options.db;
    const writer = createInvocationWriter(options.db);
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
    if (!isValidInvocation(invocation)) parseOrThrow(invocationSchema, invocation, 'invocation');
    this.#buffer.add(toValues(invocation));
  }

  async flush(): Promise<void> {
    this.#ensureOpen('flush');
    await this.#buffer.flush();
  }

  async summary(tool: string, options: SummaryOptions): Promise<ToolSummary> {
    this.#ensureOpen('summarise');
    const name = parseOrThrow(toolNameSchema, tool, 'tool name');
    const parsed = parseOrThrow(summaryOptionsSchema, options, 'summary options');
    const window: SummaryWindow =
      'lastN' in parsed
        ? { lastN: parsed.lastN }
        : parsed.until === undefined
          ? { since: parsed.since }
          : { since: parsed.since, until: parsed.until };
    // Read your own writes: what this instance recorded is part of its summaries.
    await this.#buffer.flush();
    return this.#run(`summarising "${name}"`, () =>
      querySummary(this.#kysely, this.#db.dialect, {
        tool: name,
        version: parsed.version,
        window,
        recentErrorLimit: this.#recentErrorLimit,
      }),
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

  async audit(entry: AuditEntryInput): Promise<AuditEntry> {
    this.#ensureOpen('append to the audit log');
    return this.#run('appending to the audit log', () => this.#audit.append(entry));
  }

  async auditLog(query?: { readonly artifact?: string; readonly limit?: number }): Promise<AuditEntry[]> {
    this.#ensureOpen('read the audit log');
    return this.#run('reading the audit log', () => this.#audit.list(query ?? {}));
  }

  stats(): MemoryStats {
    return { buffered: this.#buffer.buffered, written: this.#buffer.written, dropped: this.#buffer.dropped };
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
      throw toStorageError(error, `${what} in ${this.#db.url}`);
    }
  }
}

function asStorageError(error: unknown, what: string): StorageError {
  const mapped = toStorageError(error, what);
  return StorageError.isInstance(mapped)
    ? mapped
    : new StorageError('STORAGE_FAILED', mapped.message, { cause: error });
}
