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
