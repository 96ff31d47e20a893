import { parseOrThrow, ToolwrightError, type JsonValue } from '@toolwright/core';
import { runMigrations, toStorageError, type SchemalessKysely } from '@toolwright/store';
import { CompiledQuery, sql, type Kysely, type Migration } from 'kysely';
import { createRequire } from 'node:module';
import PgBoss from 'pg-boss';
import { enqueueOptionsSchema, type EnqueueOptions, type EnqueueReceipt, type JobContext, type JobHandler, type JobQueue, type ParkedJob, type QueueStats, type WorkOptions } from './job-queue.js';

/** Tuning of the PostgreSQL queue (pg-boss). */
export interface PgBossQueueOptions {
  /** Attempts after the first before a job is parked. Default 2 (three attempts in all). */
  readonly retryLimit?: number;
  /** Seconds between attempts. Default 5. */
  readonly retryDelaySeconds?: number;
  /**
   * A running job whose worker has not finished it after this long is taken from it and retried
   * (that is how a worker that died holding a job is detected). Longer than any job. Default 900.
   */
  readonly expireInSeconds?: number;
  /** How often pg-boss looks for expired jobs (maintenance). Default 30. */
  readonly maintenanceIntervalSeconds?: number;
  /** How often an idle worker asks for a job. Default 1 (pg-boss polls; no LISTEN). */
  readonly pollingIntervalSeconds?: number;
}

const migrations: Record<string, Migration> = {
  '0001_job_keys_and_steps': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('toolwright_job_keys')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('queue', 'text', (column) => column.notNull())
        .addColumn('job_id', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        // null: taken for good; a time: free again from then on (the next episode).
        .addColumn('free_at', 'bigint')
        .execute();
      await db.schema
        .createTable('toolwright_job_steps')
        .addColumn('job_id', 'text', (column) => column.notNull())
        .addColumn('step', 'text', (column) => column.notNull())
        .addColumn('result', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('toolwright_job_steps_pk', ['job_id', 'step'])
        .execute();
    },
  },
};

/** pg-boss 10's SQL builders (CommonJS, no types): the text of the statements it runs. */
const plans = createRequire(import.meta.url)('pg-boss/src/plans.js') as { completeJobs(schema: string): string; failJobsById(schema: string): string };

/**
 * pg-boss runs every statement through our pool. Some of its commands are several statements
 * in one explicit transaction (`BEGIN; …; COMMIT`); when one fails, the connection would go back
 * to the pool inside an aborted transaction, so a failure rolls it back on the same connection.
 *
 * pg-boss 10's worker marks a finished job completed or failed without awaiting the promise
 * (`this.complete(…)` / `this.fail(…)` in its manager): a database that fails at that moment
 * would be an unhandled rejection, which ends the process. Those two statements never reject
 * here: the job stays active, expires after `expireInSeconds` and is retried, and the steps it
 * recorded are replayed rather than run again.
 */
function poolAdapter(kysely: SchemalessKysely, schema: string, onUnacknowledged: (error: unknown) => void): PgBoss.Db {
  const unawaited = new Set([plans.completeJobs(schema), plans.failJobsById(schema)]);
  return {
    executeSql: async (text, values) => {
      const run = kysely.connection().execute(async (connection) => {
        try {
          const result = await connection.executeQuery(CompiledQuery.raw(text, values ?? []));
          return { rows: result.rows as never[] };
        } catch (error) {
          await connection.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
          throw error;
        }
      });
      if (!unawaited.has(text)) return run;
      return run.catch((error: unknown) => {
        onUnacknowledged(error);
        return { rows: [{ count: '0' }] as never[] };
      });
    },
  };
}

/** For `send` inside our transaction: kysely rolls the whole transaction back on failure. */
function transactionAdapter(executor: SchemalessKysely): PgBoss.Db {
  return {
    async executeSql(text, values) {
      const result = await executor.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows as never[] };
    },
  };
}

interface JobRow {
  id: string;
  name: string;
  data: Record<string, JsonValue> & { readonly __key?: string };
  retryCount: number;
  singletonKey: string | null;
}

/**
 * The PostgreSQL queue: pg-boss for storage, fetching (`SKIP LOCKED`), retries, expiry of jobs
 * whose worker died and parking after the last attempt; our two tables for what pg-boss does not
 * keep across a job's whole life: dedupe keys that outlive a completed job (one job per
 * degradation episode, not one at a time) and checkpointed step results.
 */
/** The database a {@link createPgBossQueue} needs: the shared handle; with `listen` / `notify`, idle workers wake on a new job at once instead of at their next poll. */
export interface PgBossQueueDatabase {
  readonly dialect: 'postgres';
  readonly kysely: SchemalessKysely;
  readonly url?: string;
  listen?(channel: string, listener: (payload: string) => void): Promise<() => Promise<void>>;
  notify?(channel: string, payload: string): Promise<void>;
}

/** The channel a sent job is announced on (scoped to the schema by the store). */
const JOBS_CHANNEL = 'toolwright_jobs';

export async function createPgBossQueue(database: PgBossQueueDatabase, options: PgBossQueueOptions = {}): Promise<JobQueue> {
  await runMigrations(database, { owner: '@toolwright/jobs', table: 'toolwright_jobs_migrations', migrations });
  const kysely = database.kysely;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(kysely);
  const schema = rows[0]?.schema ?? 'public';
  const retryLimit = options.retryLimit ?? 2;
  const retryDelay = options.retryDelaySeconds ?? 5;
  const expireInSeconds = options.expireInSeconds ?? 900;
  const pollingIntervalSeconds = options.pollingIntervalSeconds ?? 1;
  const boss = new PgBoss({
    db: poolAdapter(kysely, schema, () => {
      // The job stays active and is retried after it expires (see poolAdapter).
    }),
    schema,
    schedule: false,
    supervise: true,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 30,
    expireInSeconds,
    retryLimit,
    retryDelay,
  });
  boss.on('error', () => {
    // pg-boss reports maintenance hiccups here (a dropped connection); it retries on its own.
  });
  try {
    await boss.start();
  } catch (first) {
    // Several processes installing pg-boss in a new schema at once: the losers' install fails
    // on what the winner created; a second start finds it installed.
    try {
      await boss.start();
    } catch {
      throw toStorageError(first, 'start the job queue (pg-boss) in the database');
    }
  }

  const handlers = new Map<string, JobHandler>();
  const created = new Set<string>();
  let closed = false;
  const ensureQueue = async (queue: string): Promise<void> => {
    if (created.has(queue)) return;
    // One queue at a time is created in a schema: pg-boss's createQueue runs DDL on shared tables
    // (the queue table, the job table's partitions) that deadlocks when several processes of a
    // fleet start at once, or one process creates two queues at once. A session advisory lock per schema.
    const lock = `toolwright-jobs:${schema}:create-queue`;
    await kysely.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(hashtext(${lock}))`.execute(connection);
      try {
        if ((await boss.getQueue(queue)) === null) await boss.createQueue(queue, { name: queue, policy: 'standard', retryLimit, retryDelay, expireInSeconds });
      } catch (error) {
        throw toStorageError(error, `create the job queue "${queue}"`);
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${lock}))`.execute(connection).catch(() => undefined);
      }
    });
    created.add(queue);
  };
  /** pg-boss's own throttle: a unique index on (queue, window, key) among jobs not cancelled. Not retried (the next window's job is the retry), and dropped when no worker took it within two windows. */
  const sendThrottled = async (queue: string, data: Record<string, JsonValue>, key: string, throttleSeconds: number): Promise<EnqueueReceipt> => {
    const id = await boss.send(queue, data, { singletonKey: key, singletonSeconds: throttleSeconds, retryLimit: 0, retentionSeconds: Math.max(60, 2 * throttleSeconds) });
    return id === null ? { enqueued: false, key } : { enqueued: true, id, key };
  };
  /** A job, and its dedupe key if it has one, in one transaction: a key never exists without its job, nor a job twice. */
  const sendDeduped = (queue: string, data: Record<string, JsonValue>, key: string | undefined): Promise<EnqueueReceipt> =>
    kysely.transaction().execute(async (trx): Promise<EnqueueReceipt> => {
      const id = crypto.randomUUID();
      if (key !== undefined) {
        const now = Date.now();
        const claimed = await sql<{ job_id: string }>`
          insert into toolwright_job_keys (key, queue, job_id, created_at, free_at) values (${key}, ${queue}, ${id}, ${now}, null)
          on conflict (key) do update set queue = excluded.queue, job_id = excluded.job_id, created_at = excluded.created_at, free_at = null
            where toolwright_job_keys.free_at is not null and toolwright_job_keys.free_at <= ${now}
          returning job_id`.execute(trx);
        if (claimed.rows.length === 0) return { enqueued: false, key };
      }
      await boss.send(queue, data, { id, ...(key === undefined ? {} : { singletonKey: key }), db: transactionAdapter(trx) });
      return { enqueued: true, id, ...(key === undefined ? {} : { key }) };
    });
  const open = (): void => {
    if (closed) throw new ToolwrightError('JOB_QUEUE_CLOSED', 'The job queue is closed; create a new one (createJobQueue) to send or work jobs.');
  };

  const releases = new Map<string, number>();
  // pg-boss waits a polling interval between fetches even after one found a job: wake our
  // workers on an announced job (any process) and right after each job, so a backlog drains.
  const workersByQueue = new Map<string, string[]>();
  const wake = (queue: string): void => {
    for (const id of workersByQueue.get(queue) ?? []) boss.notifyWorker(id);
  };
  let unlisten: (() => Promise<void>) | undefined;
  const contextOf = (job: JobRow): JobContext => ({
    id: job.id,
    queue: job.name,
    ...(job.singletonKey ? { key: job.singletonKey } : {}),
    attempt: job.retryCount + 1,
    async step<T extends JsonValue>(name: string, run: () => Promise<T>): Promise<T> {
      const stored = await sql<{ result: string }>`select result from toolwright_job_steps where job_id = ${job.id} and step = ${name}`.execute(kysely);
      if (stored.rows[0]) return JSON.parse(stored.rows[0].result) as T;
      const result = await run();
      // The first writer wins: two runs of one job (an expiry while the first still ran) agree on one result.
      await sql`insert into toolwright_job_steps (job_id, step, result, created_at) values (${job.id}, ${name}, ${JSON.stringify(result ?? null)}, ${Date.now()}) on conflict do nothing`.execute(kysely);
      const kept = await sql<{ result: string }>`select result from toolwright_job_steps where job_id = ${job.id} and step = ${name}`.execute(kysely);
      return (kept.rows[0] ? JSON.parse(kept.rows[0].result) : result) as T;
    },
    releaseKeyAfter(afterMs) {
      releases.set(job.id, afterMs);
    },
  });

  return {
    backend: 'pg-boss',
    async define(queue, handler) {
      open();
      await ensureQueue(queue);
      handlers.set(queue, handler);
    },
    async enqueue(queue, data, enqueueOptions: EnqueueOptions = {}): Promise<EnqueueReceipt> {
      open();
      const { key, throttleSeconds } = parseOrThrow(enqueueOptionsSchema, enqueueOptions, 'enqueue options');
      await ensureQueue(queue);
      try {
        const receipt = key !== undefined && throttleSeconds !== undefined ? await sendThrottled(queue, data, key, throttleSeconds) : await sendDeduped(queue, data, key);
        if (receipt.enqueued) {
          wake(queue);
          await database.notify?.(JOBS_CHANNEL, queue).catch(() => undefined);
        }
        return receipt;
      } catch (error) {
        throw toStorageError(error, `enqueue a job on "${queue}"`);
      }
    },
    async work(workOptions: WorkOptions = {}) {
      open();
      const queues = workOptions.queues ?? [...handlers.keys()];
      for (const queue of queues) {
        if (!handlers.has(queue)) throw new ToolwrightError('JOB_QUEUE_UNKNOWN', `No handler is defined for the queue "${queue}" in this process; define it first or leave it out of worker.queues (defined: ${[...handlers.keys()].join(', ') || 'none'}).`);
      }
      const concurrency = Math.max(1, workOptions.concurrency ?? 1);
      // One pg-boss worker fetches one job at a time; `concurrency` workers per queue, capped by a shared count.
      let running = 0;
      if (database.listen !== undefined && unlisten === undefined) unlisten = await database.listen(JOBS_CHANNEL, (queue) => wake(queue)).catch(() => undefined);
      for (const queue of queues) {
        const handler = handlers.get(queue) as JobHandler;
        for (let slot = 0; slot < concurrency; slot += 1) {
          const worker: { id?: string } = {};
          worker.id = await boss.work<Record<string, JsonValue>>(queue, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds }, async (jobs) => {
            for (const job of jobs as unknown as JobRow[]) {
              while (running >= concurrency) await new Promise((resolve) => setTimeout(resolve, 50));
              running += 1;
              try {
                const result = await handler(job.data, contextOf(job));
                const releaseAfter = releases.get(job.id);
                if (releaseAfter !== undefined && job.singletonKey) {
                  await sql`update toolwright_job_keys set free_at = ${Date.now() + releaseAfter} where key = ${job.singletonKey} and job_id = ${job.id}`.execute(kysely);
                }
                return result ?? null;
              } finally {
                releases.delete(job.id);
                running -= 1;
                // There may be more: fetch again now rather than after a polling interval.
                if (worker.id !== undefined) setImmediate(() => boss.notifyWorker(worker.id as string));
              }
            }
            return null;
          });
          workersByQueue.set(queue, [...(workersByQueue.get(queue) ?? []), worker.id]);
        }
      }
    },
    stats: () => statsOf(kysely, schema),
    parked: (queue?: string) => parkedOf(kysely, schema, queue),
    async close() {
      if (closed) return;
      closed = true;
      await unlisten?.().catch(() => undefined);
      // The pool is the database handle's: pg-boss only stops its workers and timers.
      await boss.stop({ graceful: true, wait: true, timeout: 10_000, close: false }).catch(() => undefined);
    },
  };
}

function errorText(output: unknown): string {
  if (output && typeof output === 'object') {
    const value = output as { message?: unknown; value?: unknown };
    if (typeof value.message === 'string') return value.message;
    if (value.value !== undefined) return String(value.value);
    return JSON.stringify(output).slice(0, 2000);
  }
  return output === null || output === undefined ? 'unknown error' : String(output);
}

/** Counts per queue and state, from pg-boss's tables in `schema`. */
export async function statsOf(kysely: SchemalessKysely, schema: string): Promise<QueueStats[]> {
  const counts = await sql<{ name: string; state: string; count: string | number }>`select name, state, count(*) as count from ${sql.id(schema, 'job')} group by name, state`.execute(kysely);
  const queues = await sql<{ name: string }>`select name from ${sql.id(schema, 'queue')} order by name`.execute(kysely);
  const byQueue = new Map<string, { queued: number; running: number; failed: number; parked: number; completed: number }>();
  for (const { name } of queues.rows) byQueue.set(name, { queued: 0, running: 0, failed: 0, parked: 0, completed: 0 });
  for (const row of counts.rows) {
    const entry = byQueue.get(row.name) ?? { queued: 0, running: 0, failed: 0, parked: 0, completed: 0 };
    const count = Number(row.count);
    // pg-boss's states: created → queued, retry → failed (will run again), active → running, failed → parked (no attempt left).
    if (row.state === 'created') entry.queued += count;
    else if (row.state === 'retry') entry.failed += count;
    else if (row.state === 'active') entry.running += count;
    else if (row.state === 'failed') entry.parked += count;
    else if (row.state === 'completed') entry.completed += count;
    byQueue.set(row.name, entry);
  }
  return [...byQueue].map(([queue, entry]) => ({ queue, ...entry }));
}

/** Jobs with no attempt left, newest first (at most 100), from pg-boss's tables in `schema`. */
export async function parkedOf(kysely: SchemalessKysely, schema: string, queue?: string): Promise<ParkedJob[]> {
  const result = await sql<{ id: string; name: string; singleton_key: string | null; data: Record<string, JsonValue>; output: unknown; retry_count: number; completed_on: Date | null }>`
    select id, name, singleton_key, data, output, retry_count, completed_on from ${sql.id(schema, 'job')}
    where state = 'failed' ${queue === undefined ? sql`` : sql`and name = ${queue}`}
    order by completed_on desc nulls last limit 100`.execute(kysely);
  return result.rows.map((row) => ({
    id: row.id,
    queue: row.name,
    ...(row.singleton_key ? { key: row.singleton_key } : {}),
    data: row.data,
    error: errorText(row.output),
    attempts: Number(row.retry_count) + 1,
    ...(row.completed_on ? { failedAt: new Date(row.completed_on).getTime() } : {}),
  }));
}
