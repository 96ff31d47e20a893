import type { Database } from '@toolwright/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobQueue } from './create-job-queue.js';
import type { JobQueue } from './job-queue.js';
import { type Backend, caught, type TestDatabase, until } from './test-support/backends.js';

const FAST = { retryLimit: 1, retryDelaySeconds: 0, pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1 } as const;

/** The behaviour every {@link JobQueue} backend shares, run on SQLite (in-process) and PostgreSQL (pg-boss). */
export function describeJobQueue(backend: Backend<Database>): void {
  describe(`job queue on ${backend.name}`, () => {
    let database: TestDatabase<Database>;
    const queues: JobQueue[] = [];
    const open = async (db: Database = database.db): Promise<JobQueue> => {
      const queue = await createJobQueue({ database: db, ...FAST });
      queues.push(queue);
      return queue;
    };
    beforeEach(async () => {
      database = await backend.create();
    });
    afterEach(async () => {
      for (const queue of queues.splice(0)) await queue.close();
      await database.cleanup();
    });

    it('creates one job per key, however often it is asked for, and runs it once', async () => {
      const jobs = await open();
      const ran: string[] = [];
      await jobs.define('improve', async (data) => {
        ran.push(String(data['tool']));
      });
      const receipts = await Promise.all([1, 2, 3].map(() => jobs.enqueue('improve', { tool: 'get_quote' }, { key: 'improve:get_quote@v1' })));
      expect(receipts.filter((receipt) => receipt.enqueued)).toHaveLength(1);
      await jobs.work();
      await until('the job to complete', async () => (await jobs.stats()).some((stats) => stats.queue === 'improve' && stats.completed === 1));
      // Completed, the key stays taken: the same episode never makes a second job.
      expect((await jobs.enqueue('improve', { tool: 'get_quote' }, { key: 'improve:get_quote@v1' })).enqueued).toBe(false);
      expect(ran).toEqual(['get_quote']);
    });

    it('frees a key the handler released, for the next episode', async () => {
      const jobs = await open();
      await jobs.define('improve', async (_data, job) => job.releaseKeyAfter(0));
      await jobs.work();
      expect((await jobs.enqueue('improve', {}, { key: 'k' })).enqueued).toBe(true);
      await until('the job to complete', async () => (await jobs.stats()).some((stats) => stats.completed === 1));
      expect((await jobs.enqueue('improve', {}, { key: 'k' })).enqueued).toBe(true);
    });

    it('retries a failing job, replays its finished steps, and parks it with its error after the last attempt', async () => {
      const jobs = await open();
      const effects: number[] = [];
      await jobs.define('flaky', async (_data, job) => {
        await job.step('effect', async () => {
          effects.push(job.attempt);
          return job.attempt;
        });
        throw new Error(`attempt ${job.attempt} failed: the quote service is down`);
      });
      await jobs.work();
      await jobs.enqueue('flaky', { tool: 'get_quote' }, { key: 'flaky:1' });
      await until('the job to be parked', async () => (await jobs.parked()).length === 1);
      const [parked] = await jobs.parked('flaky');
      expect(parked).toMatchObject({ queue: 'flaky', key: 'flaky:1', data: { tool: 'get_quote' }, attempts: 2 });
      expect(parked?.error).toContain('attempt 2 failed: the quote service is down');
      // The step ran once; the retry got its result back.
      expect(effects).toEqual([1]);
      expect((await jobs.stats()).find((stats) => stats.queue === 'flaky')).toMatchObject({ parked: 1, queued: 0, running: 0, completed: 0 });
    });

    it('throttles a key: one job per window however many ask, whatever became of the last one, and a new one in the next window', async () => {
      // Two queues on one database, as two instances of a fleet (on SQLite, one process: one queue).
      const instances = backend.name === 'postgres' ? [await open(), await open(await database.open())] : [await open()];
      const ran: number[] = [];
      const failing = { now: true };
      for (const jobs of instances) {
        await jobs.define('look', async (data) => {
          ran.push(Number(data['n']));
          if (failing.now) throw new Error('the look failed');
        });
      }
      const windowOf = () => Math.floor(Date.now() / 3_600_000);
      const before = windowOf();
      const receipts = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => (instances[n % instances.length] as JobQueue).enqueue('look', { n }, { key: 'look', throttleSeconds: 3600 })));
      // Crossing an hour's boundary while asking makes a second window: one more job, never more.
      const windows = windowOf() - before + 1;
      expect(receipts.filter((receipt) => receipt.enqueued)).toHaveLength(windows);
      expect(receipts.find((receipt) => !receipt.enqueued)).toEqual({ enqueued: false, key: 'look' });
      await instances[0]?.work();
      // It fails every attempt and is parked: the key is not held by it (a dedupe key would be).
      await until('the look to be parked', async () => (await instances[0]?.parked('look'))?.length === windows);
      expect(ran.length).toBeGreaterThanOrEqual(windows);
      failing.now = false;
      // Windows of a second: the key is free again as soon as the next one starts.
      const jobs = instances[0] as JobQueue;
      expect((await jobs.enqueue('look', { n: 7 }, { key: 'look', throttleSeconds: 1 })).enqueued).toBe(true);
      await until('the next window', async () => (await jobs.enqueue('look', { n: 8 }, { key: 'look', throttleSeconds: 1 })).enqueued);
      await until('both to complete', async () => (await jobs.stats()).find((stats) => stats.queue === 'look')?.completed === 2);
      expect((await caught(jobs.enqueue('look', {}, { throttleSeconds: 60 }))).code).toBe('INVALID_ARGUMENT');
    });

    it('gives each work() call slots of its own: a long job of one set of queues never holds back another', async () => {
      const jobs = await open();
      let finishSlow: () => void = () => undefined;
      const slowRunning = new Promise<void>((started) => {
        void jobs.define('slow', () => {
          started();
          return new Promise<void>((resolve) => {
            finishSlow = resolve;
          });
        });
      });
      await jobs.define('fast', async () => undefined);
      await jobs.work({ concurrency: 1, queues: ['slow'] });
      await jobs.work({ concurrency: 1, queues: ['fast'] });
      await jobs.enqueue('slow', {});
      await slowRunning;
      await jobs.enqueue('fast', {});
      await until('the fast job to complete while the slow one runs', async () => (await jobs.stats()).find((stats) => stats.queue === 'fast')?.completed === 1);
      expect((await jobs.stats()).find((stats) => stats.queue === 'slow')).toMatchObject({ running: 1, completed: 0 });
      finishSlow();
      await until('the slow job to complete', async () => (await jobs.stats()).find((stats) => stats.queue === 'slow')?.completed === 1);
    });

    it('refuses to work a queue without a handler, and anything after close', async () => {

      const jobs = await open();
      expect((await caught(jobs.work({ queues: ['nobody'] }))).code).toBe('JOB_QUEUE_UNKNOWN');
      await jobs.close();
      expect((await caught(jobs.enqueue('improve', {}))).code).toBe('JOB_QUEUE_CLOSED');
    });

    if (backend.name === 'postgres') {
      it('shares jobs between instances: sent by one, each run by exactly one of three workers', async () => {
        const instances = [await open(), await open(await database.open()), await open(await database.open())];
        const ranBy = new Map<string, number>();
        for (const [index, jobs] of instances.entries()) {
          await jobs.define('work', async (data) => {
            const id = String(data['n']);
            ranBy.set(id, (ranBy.get(id) ?? 0) + 1);
            void index;
          });
          await jobs.work({ concurrency: 2 });
        }
        for (let n = 0; n < 12; n += 1) await instances[0]?.enqueue('work', { n }, { key: `work:${n}` });
        await until('every job to complete', async () => (await instances[1]?.stats())?.find((stats) => stats.queue === 'work')?.completed === 12);
        expect([...ranBy.values()].every((count) => count === 1)).toBe(true);
        expect(ranBy.size).toBe(12);
      });
    }
  });
}
