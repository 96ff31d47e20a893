import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Database } from '@toolwright/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobQueue } from './create-job-queue.js';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend, type TestDatabase, until } from './test-support/backends.js';

// A worker process killed (SIGKILL) while it holds a job: after expireInSeconds another
// instance takes the job, gets the finished step's checkpoint back and runs only the rest.

noticePostgresSkipped('@toolwright/jobs crash-recovery.int.test.ts');
const fixture = fileURLToPath(new URL('./__fixtures__/hold-job.mjs', import.meta.url));

describe.skipIf(POSTGRES_URL === undefined)('a job whose worker is killed', () => {
  let database: TestDatabase<Database>;
  beforeEach(async () => {
    database = await postgresBackend.create();
  });
  afterEach(async () => {
    await database.cleanup();
  });

  it('is finished by another instance, with the steps the dead worker finished not run again', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [fixture], { env: { ...process.env, JOBS_DATABASE: database.url, JOBS_SCHEMA: database.options.schema }, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    try {
      await until('the child to be ready', () => said.includes('READY') || child.exitCode !== null, 30_000);
      expect(errors).toBe('');
      const sender = await createJobQueue({ database: database.db, expireInSeconds: 2, maintenanceIntervalSeconds: 1, retryDelaySeconds: 0, pollingIntervalSeconds: 0.5 });
      try {
        expect((await sender.enqueue('improve', { tool: 'get_quote' }, { key: 'improve:get_quote@v1' })).enqueued).toBe(true);
        await until('the child to finish its first step', () => said.includes('FIRST-DONE'), 30_000);
        child.kill('SIGKILL');

        const ran: string[] = [];
        let diagnosedBy: unknown;
        let attempt = 0;
        await sender.define('improve', async (_data, job) => {
          attempt = job.attempt;
          diagnosedBy = await job.step('diagnose', async () => {
            ran.push('diagnose');
            return { by: process.pid };
          });
          await job.step('propose', async () => {
            ran.push('propose');
            return true;
          });
        });
        await sender.work();
        await until('the job to complete here', async () => (await sender.stats()).find((stats) => stats.queue === 'improve')?.completed === 1, 30_000);
        expect(ran).toEqual(['propose']);
        expect(diagnosedBy).toEqual({ by: child.pid });
        expect(attempt).toBe(2);
        expect((await sender.enqueue('improve', { tool: 'get_quote' }, { key: 'improve:get_quote@v1' })).enqueued).toBe(false);
      } finally {
        await sender.close();
      }
    } finally {
      child.kill('SIGKILL');
    }
  });
});
