import type { JsonValue } from '@toolwright/core';
import { z } from 'zod';

/** What a job's handler gets besides its data. */
export interface JobContext {
  readonly id: string;
  readonly queue: string;
  /** The dedupe key it was sent with, when it has one. */
  readonly key?: string;
  /** 1 on the first run, 2 on the first retry (after a failure or a worker that died holding it), … */
  readonly attempt: number;
  /**
   * Runs `run` once per job and checkpoints its JSON result: a retry of the same job (another
   * worker, after this one crashed) gets the stored result back instead of running it again.
   * Step names are unique within a job.
   */
  step<T extends JsonValue>(name: string, run: () => Promise<T>): Promise<T>;
  /**
   * Frees the job's dedupe key `afterMs` after the job ends, so that a later request with the same
   * key makes a new job (a new episode). By default a key stays taken for good.
   */
  releaseKeyAfter(afterMs: number): void;
}

/** Runs one job; a rejection is a failed attempt (retried, then parked). */
export type JobHandler = (data: Record<string, JsonValue>, context: JobContext) => Promise<unknown>;

/** Options of {@link JobQueue.enqueue}. */
export interface EnqueueOptions {
  /** Dedupe key: while a job with this key exists (and its key is not released), no other is created, in any process. */
  readonly key?: string;
  /**
   * With `key`: throttle instead of dedupe — at most one job per key in each window of this many
   * seconds (windows aligned to the epoch, 1–43,200), in any process; whether an earlier one
   * finished, failed or died with its worker does not matter, and nothing is kept once the window
   * is over. A throttled job is not retried (the next window's job is the retry), and is dropped
   * when no worker took it within two windows (at least a minute). For periodic work every
   * instance asks for (the fleet's experiment look). A key is used either throttled or not, never both.
   */
  readonly throttleSeconds?: number;
}

/** zod schema of {@link EnqueueOptions}. */
export const enqueueOptionsSchema = z
  .object({
    key: z.string().min(1).max(500).optional(),
    throttleSeconds: z.number().int().min(1).max(43_200).optional(),
  })
  .strict()
  .refine((options) => options.throttleSeconds === undefined || options.key !== undefined, {
    message: 'throttleSeconds throttles the jobs of one key: give a key too',
    path: ['throttleSeconds'],
  });

/** What {@link JobQueue.enqueue} answers. */
export interface EnqueueReceipt {
  /** `false`: a job with the same key already exists; nothing was added. */
  readonly enqueued: boolean;
  readonly id?: string;
  readonly key?: string;
}

/** Counts of one queue's jobs, for `toolwright report`. */
export interface QueueStats {
  readonly queue: string;
  /** Waiting for a worker (new, or a retry waiting for its delay). */
  readonly queued: number;
  readonly running: number;
  /** Failed at least once and will be retried. */
  readonly failed: number;
  /** Failed every attempt: kept with its error for a person. */
  readonly parked: number;
  readonly completed: number;
}

/** A job that failed every attempt. */
export interface ParkedJob {
  readonly id: string;
  readonly queue: string;
  readonly key?: string;
  readonly data: Record<string, JsonValue>;
  /** The last attempt's error message. */
  readonly error: string;
  readonly attempts: number;
  readonly failedAt?: number;
}

/** Options of {@link JobQueue.work}. */
export interface WorkOptions {
  /** Jobs this process runs at once, over all its queues. Default 1. */
  readonly concurrency?: number;
  /** The queues to work; default every defined queue. */
  readonly queues?: readonly string[];
}

/**
 * Background work: named queues, each with one handler; jobs sent with a dedupe key are created
 * once; a failing job is retried and, after its last attempt, parked with its error.
 *
 * - `pg-boss` (PostgreSQL): the jobs live in the database; any process of the fleet may send,
 *   any worker takes them; a worker that dies holding a job loses it to another after
 *   `expireInSeconds`.
 * - `in-process` (SQLite, the embedded default): the same interface, in this process's memory.
 */
export interface JobQueue {
  readonly backend: 'pg-boss' | 'in-process';
  /** Registers the handler of `queue` (before `work`). Sending needs no handler in this process. */
  define(queue: string, handler: JobHandler): Promise<void>;
  enqueue(queue: string, data: Record<string, JsonValue>, options?: EnqueueOptions): Promise<EnqueueReceipt>;
  /**
   * Starts taking jobs of the given queues, with `concurrency` slots of their own: call it once
   * per set of queues that must not wait for each other (a long job of one set never holds a slot
   * of another). Without it this process only sends.
   */
  work(options?: WorkOptions): Promise<void>;
  /** Counts per queue (every queue known to the database on PostgreSQL). */
  stats(): Promise<QueueStats[]>;
  /** Jobs that failed every attempt, newest first. */
  parked(queue?: string): Promise<ParkedJob[]>;
  /** Stops working (running jobs finish, up to a grace period) and stops sending. Idempotent. */
  close(): Promise<void>;
}
