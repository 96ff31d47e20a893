import { parseOrThrow } from '@toolwright/core';
import type { SchemalessKysely } from '@toolwright/store';
import { z } from 'zod';
import { createInProcessQueue } from './in-process-queue.js';
import type { JobQueue } from './job-queue.js';
import { createPgBossQueue, type PgBossQueueDatabase } from './pg-boss-queue.js';

/** Options of {@link createJobQueue}. */
export interface CreateJobQueueOptions {
  /** The handle the stores share (`openDatabase` of `@toolwright/store`): PostgreSQL → pg-boss in its schema; SQLite → in-process. */
  readonly database: {
    readonly dialect: 'sqlite' | 'postgres';
    readonly kysely: SchemalessKysely;
    readonly url?: string;
    listen?(channel: string, listener: (payload: string) => void): Promise<() => Promise<void>>;
    notify?(channel: string, payload: string): Promise<void>;
  };
  /** Attempts after the first before a job is parked. Default 2. */
  readonly retryLimit?: number;
  /** Delay between attempts. Default 5 s on PostgreSQL, 0 in-process. */
  readonly retryDelaySeconds?: number;
  /** PostgreSQL: a running job not finished after this long is retried elsewhere (its worker is presumed dead). Default 900. */
  readonly expireInSeconds?: number;
  /** PostgreSQL: how often expired jobs are looked for. Default 30. */
  readonly maintenanceIntervalSeconds?: number;
  /** PostgreSQL: how often an idle worker asks for a job. Default 1. */
  readonly pollingIntervalSeconds?: number;
}

const optionsSchema = z
  .object({
    retryLimit: z.number().int().min(0).max(100).optional(),
    retryDelaySeconds: z.number().int().min(0).max(86_400).optional(),
    expireInSeconds: z.number().int().min(1).max(86_400).optional(),
    maintenanceIntervalSeconds: z.number().int().min(1).max(86_400).optional(),
    pollingIntervalSeconds: z.number().min(0.5).max(3600).optional(),
  })
  .loose();

/**
 * The job queue of this database: pg-boss in the database's schema on PostgreSQL (shared by every
 * process on it), in-process on SQLite (the embedded default, same interface).
 *
 * @example
 * ```ts
 * const jobs = await createJobQueue({ database: await openDatabase('postgres://localhost/toolwright') });
 * await jobs.define('resize', async (data, job) => job.step('resize', async () => resize(data)));
 * await jobs.work({ concurrency: 2 });
 * await jobs.enqueue('resize', { image: 'a.png' }, { key: 'resize:a.png' });
 * ```
 */
export async function createJobQueue(options: CreateJobQueueOptions): Promise<JobQueue> {
  const parsed = parseOrThrow(optionsSchema, options, 'createJobQueue options');
  const { database } = options;
  if (database.dialect === 'postgres') {
    return createPgBossQueue({ ...database, dialect: 'postgres', listen: database.listen?.bind(database), notify: database.notify?.bind(database) } as PgBossQueueDatabase, {
      ...(parsed.retryLimit === undefined ? {} : { retryLimit: parsed.retryLimit }),
      ...(parsed.retryDelaySeconds === undefined ? {} : { retryDelaySeconds: parsed.retryDelaySeconds }),
      ...(parsed.expireInSeconds === undefined ? {} : { expireInSeconds: parsed.expireInSeconds }),
      ...(parsed.maintenanceIntervalSeconds === undefined ? {} : { maintenanceIntervalSeconds: parsed.maintenanceIntervalSeconds }),
      ...(parsed.pollingIntervalSeconds === undefined ? {} : { pollingIntervalSeconds: parsed.pollingIntervalSeconds }),
    });
  }
  return createInProcessQueue({
    ...(parsed.retryLimit === undefined ? {} : { retryLimit: parsed.retryLimit }),
    ...(parsed.retryDelaySeconds === undefined ? {} : { retryDelayMs: parsed.retryDelaySeconds * 1000 }),
  });
}
