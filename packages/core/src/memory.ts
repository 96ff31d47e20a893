import { z } from 'zod';
import { artifactNameSchema, authorSchema, toolNameSchema } from './artifact.js';
import { AUDIT_ACTION_NAMES, type AuditAction } from './audit-actions.js';
import { jsonObjectSchema } from './json.js';

const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a hash is 64 lowercase hex digits (see contentHash)');

/** Tokens a model spent causing this call, when a model caused it. */
export const tokenUsageSchema = z
  .object({ inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative() })
  .strict();

/** How a call ended: `{ ok: true }`, or `{ ok: false, error: { code, message } }`. */
export const invocationOutcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true) }).strict(),
  z
    .object({
      ok: z.literal(false),
      error: z.object({ code: z.string().min(1).max(100), message: z.string().max(4000) }).strict(),
    })
    .strict(),
]);

/**
 * The outcome error code of a call whose output was checked against an expected one (a
 * regression case's golden output, a shadow run's reference) and found wrong. Whoever
 * records such a call uses this code; the evaluator counts it as a wrong output.
 */
export const WRONG_OUTPUT_CODE = 'WRONG_OUTPUT';

/**
 * One call of one tool version: the unit of measurement. Inputs and outputs are kept as
 * hashes only (see `contentHash`); regression cases keep the values they need.
 */
export const invocationSchema = z
  .object({
    tool: toolNameSchema,
    version: z.number().int().min(1),
    /** Milliseconds since the epoch. */
    startedAt: z.number().int().nonnegative(),
    durationMs: z.number().nonnegative().finite(),
    outcome: invocationOutcomeSchema,
    inputHash: hashSchema,
    /** Absent when the call failed. */
    outputHash: hashSchema.optional(),
    /** The task (agent run) that caused the call. */
    taskId: z.string().max(200).optional(),
    /** The model turn within the task. */
    modelTurn: z.number().int().nonnegative().optional(),
    tokens: tokenUsageSchema.optional(),
  })
  .strict();

/** See {@link invocationSchema}. */
export type Invocation = z.infer<typeof invocationSchema>;
/** See {@link invocationOutcomeSchema}. */
export type InvocationOutcome = z.infer<typeof invocationOutcomeSchema>;

/** Which calls a summary covers: the last N, or a time range in epoch milliseconds (`until` exclusive). */
export type SummaryWindow = { readonly lastN: number } | { readonly since: number; readonly until?: number };

/** Options of {@link Memory.summary}: a window and, optionally, one version. */
export type SummaryOptions = SummaryWindow & { readonly version?: number };

/**
 * Measured behaviour of a tool (or one version of it) over a window. Latencies in ms.
 * With `count === 0`, rates and latencies are 0 and there are no errors.
 */
export interface ToolSummary {
  readonly tool: string;
  /** The version summarised, or `undefined` for all versions. */
  readonly version: number | undefined;
  readonly window: SummaryWindow;
  readonly count: number;
  readonly successCount: number;
  /** successCount / count, in 0..1. */
  readonly successRate: number;
  readonly latency: {
    readonly mean: number;
    readonly p50: number;
    readonly p95: number;
    readonly max: number;
    /** Standard deviation of latency. */
    readonly spread: number;
  };
  /**
   * Error codes with how often each occurred, most frequent first; their counts add up to at
   * most `count - successCount`. {@link WRONG_OUTPUT_CODE} marks calls whose output was wrong.
   */
  readonly errors: readonly { readonly code: string; readonly count: number }[];
  /** The most recent failures, newest first. */
  readonly recentErrors: readonly {
    readonly code: string;
    readonly message: string;
    readonly version: number;
    readonly startedAt: number;
  }[];
  /** Epoch ms of the first and last call in the window, or `undefined` when empty. */
  readonly firstAt: number | undefined;
  readonly lastAt: number | undefined;
}

/** The most buckets one {@link Memory.series} call may ask for. */
export const MAX_SERIES_BUCKETS = 1000;

/**
 * Options of {@link Memory.series}: the range `[since, until)` in epoch ms, cut into buckets
 * of `bucketMs` starting at `since` (the last one may reach past `until`; calls at or after
 * `until` are not counted), at most {@link MAX_SERIES_BUCKETS} of them; optionally one version.
 */
export interface SeriesOptions {
  readonly since: number;
  readonly until: number;
  readonly bucketMs: number;
  readonly version?: number;
}

/**
 * One bucket of one version in a {@link ToolSeriesSummary}: the same figures a
 * {@link ToolSummary} over `{ since: start, until: start + bucketMs, version }` has, without
 * its error lists. Latencies in ms; p50 and p95 are exact nearest-rank percentiles of the bucket.
 */
export interface SeriesBucket {
  /** Start of the bucket, epoch ms: `since + index * bucketMs`. */
  readonly start: number;
  readonly index: number;
  readonly version: number;
  /** Always at least 1: buckets without calls are not listed. */
  readonly count: number;
  readonly successCount: number;
  /** successCount / count, in 0..1. */
  readonly successRate: number;
  readonly latency: ToolSummary['latency'];
  /** Epoch ms of the bucket's first and last call. */
  readonly firstAt: number;
  readonly lastAt: number;
}

/** Time-bucketed figures of a tool, per version: see {@link Memory.series}. */
export interface ToolSeriesSummary {
  readonly tool: string;
  /** The version asked for, or `undefined` for every version. */
  readonly version: number | undefined;
  readonly since: number;
  readonly until: number;
  readonly bucketMs: number;
  /** How many buckets the range has: ⌈(until − since) / bucketMs⌉. */
  readonly bucketCount: number;
  /** The buckets that had calls, ordered by start, then version. Empty buckets are left out. */
  readonly buckets: readonly SeriesBucket[];
}

/** A lesson learned (reflection memory). */
export const lessonInputSchema = z
  .object({
    text: z.string().min(1).max(2000),
    source: z.enum(['failure', 'success', 'person']),
    tags: z.array(z.string().min(1).max(100)).max(50).default([]),
    /** Where it came from. */
    provenance: z
      .object({ taskId: z.string().max(200).optional(), invocationId: z.string().max(200).optional() })
      .strict()
      .default({}),
  })
  .strict();

/** See {@link lessonInputSchema}. */
export type LessonInput = z.input<typeof lessonInputSchema>;

/** A stored lesson. Updates append a new lesson that `supersedes` the old one. */
export interface Lesson extends z.output<typeof lessonInputSchema> {
  readonly id: string;
  readonly helpful: number;
  readonly harmful: number;
  /** The id of the lesson this one replaces, if any. */
  readonly supersedes: string | undefined;
  /** True when a newer lesson supersedes this one. */
  readonly superseded: boolean;
  readonly createdAt: number;
}

/** One entry of the append-only audit log. */
export const auditEntryInputSchema = z
  .object({
    /** Who or what acted. */
    actor: authorSchema.or(z.object({ kind: z.literal('system'), id: z.string().min(1) }).strict()),
    /** What happened: one of {@link AUDIT_ACTIONS}, e.g. `create-tool.applied`, `rollback.denied`, `policy.kill-switch.engage`. */
    action: z.enum(AUDIT_ACTION_NAMES as [AuditAction, ...AuditAction[]]),
    artifact: artifactNameSchema.optional(),
    fromVersion: z.number().int().min(1).optional(),
    toVersion: z.number().int().min(1).optional(),
    reason: z.string().max(4000),
    evidence: jsonObjectSchema.default({}),
  })
  .strict();

/** See {@link auditEntryInputSchema}. */
export type AuditEntryInput = z.input<typeof auditEntryInputSchema>;
/** A stored audit entry. */
export interface AuditEntry extends Omit<z.output<typeof auditEntryInputSchema>, 'action'> {
  /** An action of {@link AUDIT_ACTIONS}; entries written by older versions may carry others. */
  readonly action: string;
  readonly id: string;
  readonly at: number;
}

/**
 * What happened: invocations, summaries, lessons and the audit log.
 *
 * @example
 * ```ts
 * memory.record({ tool: 'total_fares', version: 1, startedAt: Date.now(), durationMs: 3,
 *   outcome: { ok: true }, inputHash, outputHash });
 * const summary = await memory.summary('total_fares', { lastN: 50 });
 * console.log(summary.successRate, summary.latency.p95);
 * ```
 */
export interface Memory {
  /** Buffers one invocation and returns at once; it reaches the database on the next flush. */
  record(invocation: Invocation): void;
  /** Writes everything buffered. */
  flush(): Promise<void>;
  summary(tool: string, options: SummaryOptions): Promise<ToolSummary>;
  /**
   * Optional: a tool's figures per time bucket and version, in one query (what a
   * `summary({ since, until, version })` per bucket would give, minus the error lists).
   * Callers fall back to `summary` per bucket when a memory does not have it.
   */
  series?(tool: string, options: SeriesOptions): Promise<ToolSeriesSummary>;
  addLesson(lesson: LessonInput): Promise<Lesson>;
  /**
   * Appends a new lesson that supersedes lesson `id` (which stays stored, marked superseded);
   * lessons are never rewritten in place. Only a current lesson can be superseded.
   */
  updateLesson(id: string, lesson: LessonInput): Promise<Lesson>;
  /** Counts one more helpful or harmful use of lesson `id`; returns the lesson with its new counters. */
  rateLesson(id: string, rating: 'helpful' | 'harmful'): Promise<Lesson>;
  /** Current (not superseded) lessons, optionally only those with one of `tags`. */
  lessons(query?: { readonly tags?: readonly string[]; readonly limit?: number }): Promise<Lesson[]>;
  /** Appends to the audit log. There is no way to edit or delete an entry. */
  audit(entry: AuditEntryInput): Promise<AuditEntry>;
  auditLog(query?: { readonly artifact?: string; readonly limit?: number }): Promise<AuditEntry[]>;
  /** Flushes, then releases the database. */
  close(): Promise<void>;
}
