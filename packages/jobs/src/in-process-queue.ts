import { parseOrThrow, ToolwrightError, type JsonValue } from '@toolwright/core';
import { enqueueOptionsSchema, type EnqueueReceipt, type JobContext, type JobHandler, type JobQueue, type ParkedJob, type QueueStats, type WorkOptions } from './job-queue.js';

/** Tuning of the in-process queue. */
export interface InProcessQueueOptions {
  /** Attempts after the first before a job is parked. Default 2. */
  readonly retryLimit?: number;
  /** Milliseconds between attempts. Default 0. */
  readonly retryDelayMs?: number;
}

interface Job {
  readonly id: string;
  readonly queue: string;
  readonly key?: string;
  readonly data: Record<string, JsonValue>;
  state: 'queued' | 'running' | 'failed' | 'parked' | 'completed';
  attempts: number;
  error?: string;
  failedAt?: number;
  readonly steps: Map<string, JsonValue>;
  /** Throttled jobs are not retried: the next window's job is the retry. */
  readonly throttled?: boolean;
}

/** Parked jobs kept for a person, newest first; older ones are counted only. */
const MAX_PARKED = 100;

/**
 * The embedded default (SQLite): the same {@link JobQueue} in this process's memory. Keys dedupe
 * within the process, steps are checkpointed for retries, a job failing every attempt is parked.
 * Nothing survives the process: one process on SQLite has no other worker to hand a job to.
 */
export function createInProcessQueue(options: InProcessQueueOptions = {}): JobQueue {
  const retryLimit = options.retryLimit ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 0;
  const handlers = new Map<string, JobHandler>();
  const jobs: Job[] = [];
  const keys = new Map<string, { jobId: string; freeAt?: number }>();
  /** The window of the last throttled job per queue and key. */
  const throttled = new Map<string, number>();
  /** Completed jobs are counted, not kept: periodic work would otherwise grow the list for good. */
  const completed = new Map<string, number>();
  /** One group per `work` call: its queues share its `concurrency` slots. */
  const groups: { readonly concurrency: number; readonly queues: Set<string>; running: number }[] = [];
  const parkedBefore = new Map<string, number>();
  let closed = false;
  const pending = new Set<Promise<void>>();

  const open = (): void => {
    if (closed) throw new ToolwrightError('JOB_QUEUE_CLOSED', 'The job queue is closed; create a new one (createJobQueue) to send or work jobs.');
  };

  const runOne = async (job: Job): Promise<void> => {
    const handler = handlers.get(job.queue) as JobHandler;
    job.state = 'running';
    job.attempts += 1;
    let releaseAfter: number | undefined;
    const context: JobContext = {
      id: job.id,
      queue: job.queue,
      ...(job.key === undefined ? {} : { key: job.key }),
      attempt: job.attempts,
      async step<T extends JsonValue>(name: string, run: () => Promise<T>): Promise<T> {
        if (job.steps.has(name)) return job.steps.get(name) as T;
        const result = await run();
        job.steps.set(name, result);
        return result;
      },
      releaseKeyAfter(afterMs) {
        releaseAfter = afterMs;
      },
    };
    try {
      await handler(job.data, context);
      job.state = 'completed';
      if (releaseAfter !== undefined && job.key !== undefined) keys.set(job.key, { jobId: job.id, freeAt: Date.now() + releaseAfter });
      const index = jobs.indexOf(job);
      if (index >= 0) jobs.splice(index, 1);
      completed.set(job.queue, (completed.get(job.queue) ?? 0) + 1);
    } catch (error) {
      job.error = error instanceof Error ? error.message : String(error);
      job.failedAt = Date.now();
      job.state = job.throttled === true || job.attempts > retryLimit ? 'parked' : 'failed';
      if (job.state === 'failed') setTimeout(() => { if (job.state === 'failed') { job.state = 'queued'; pump(); } }, retryDelayMs).unref?.();
      if (job.state === 'parked') forgetOldParked(job.queue);
    }
  };

  /** Keeps the newest {@link MAX_PARKED} parked jobs of `queue`; the older are counted in its stats only. */
  const forgetOldParked = (queue: string): void => {
    const parked = jobs.filter((job) => job.queue === queue && job.state === 'parked');
    for (const job of parked.slice(0, Math.max(0, parked.length - MAX_PARKED))) {
      jobs.splice(jobs.indexOf(job), 1);
      parkedBefore.set(queue, (parkedBefore.get(queue) ?? 0) + 1);
    }
  };

  const pump = (): void => {
    if (closed) return;
    for (const group of groups) {
      for (const job of jobs) {
        if (group.running >= group.concurrency) break;
        if (job.state !== 'queued' || !group.queues.has(job.queue)) continue;
        group.running += 1;
        const done: Promise<void> = runOne(job).finally(() => {
          group.running -= 1;
          pending.delete(done);
          pump();
        });
        pending.add(done);
      }
    }
  };

  return {
    backend: 'in-process',
    async define(queue, handler) {
      open();
      handlers.set(queue, handler);
    },
    async enqueue(queue, data, enqueueOptions = {}): Promise<EnqueueReceipt> {
      open();
      const { key, throttleSeconds } = parseOrThrow(enqueueOptionsSchema, enqueueOptions, 'enqueue options');
      const throttle = key !== undefined && throttleSeconds !== undefined;
      if (throttle) {
        const window = Math.floor(Date.now() / (throttleSeconds * 1000));
        const throttleKey = `${queue}\u0000${key}`;
        if (throttled.get(throttleKey) === window) return { enqueued: false, key };
        throttled.set(throttleKey, window);
      } else if (key !== undefined) {
        const taken = keys.get(key);
        if (taken && (taken.freeAt === undefined || taken.freeAt > Date.now())) return { enqueued: false, key };
      }
      const id = crypto.randomUUID();
      jobs.push({ id, queue, ...(key === undefined ? {} : { key }), data, state: 'queued', attempts: 0, steps: new Map(), ...(throttle ? { throttled: true } : {}) });
      if (key !== undefined && !throttle) keys.set(key, { jobId: id });
      pump();
      return { enqueued: true, id, ...(key === undefined ? {} : { key }) };
    },
    async work(workOptions: WorkOptions = {}) {
      open();
      const queues = workOptions.queues ?? [...handlers.keys()];
      for (const queue of queues) {
        if (!handlers.has(queue)) throw new ToolwrightError('JOB_QUEUE_UNKNOWN', `No handler is defined for the queue "${queue}"; define it first or leave it out of worker.queues (defined: ${[...handlers.keys()].join(', ') || 'none'}).`);
      }
      groups.push({ concurrency: Math.max(1, workOptions.concurrency ?? 1), queues: new Set(queues), running: 0 });
      pump();
    },
    async stats(): Promise<QueueStats[]> {
      const names = new Set([...handlers.keys(), ...jobs.map((job) => job.queue), ...completed.keys()]);
      return [...names].sort().map((queue) => {
        const of = jobs.filter((job) => job.queue === queue);
        const count = (state: Job['state']) => of.filter((job) => job.state === state).length;
        return { queue, queued: count('queued'), running: count('running'), failed: count('failed'), parked: count('parked') + (parkedBefore.get(queue) ?? 0), completed: completed.get(queue) ?? 0 };
      });
    },
    async parked(queue?: string): Promise<ParkedJob[]> {
      return jobs
        .filter((job) => job.state === 'parked' && (queue === undefined || job.queue === queue))
        .reverse()
        .map((job) => ({ id: job.id, queue: job.queue, ...(job.key === undefined ? {} : { key: job.key }), data: job.data, error: job.error ?? 'unknown error', attempts: job.attempts, ...(job.failedAt === undefined ? {} : { failedAt: job.failedAt }) }));
    },
    async close() {
      if (closed) return;
      closed = true;
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
