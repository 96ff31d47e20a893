import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToolwright } from 'toolwright';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { cli } from './test-support/run-in-process.js';

// `toolwright worker` and the jobs part of `toolwright report`: on SQLite there is no fleet
// (the worker says so, the report has no jobs); on PostgreSQL the report shows each queue's
// counts and every parked job with its error.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-cli-worker-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('toolwright worker on SQLite', () => {
  it('explains that jobs run in the process that sends them, and report lists no jobs', async () => {
    const db = `sqlite:${join(directory, 'worker.sqlite')}`;
    const tw = await createToolwright({ database: db, improve: false });
    await tw.close();
    const worker = await cli(['worker', '--db', db], { cwd: directory });
    expect(worker.code).toBe(EXIT_CODES.ok);
    expect(worker.stderr).toContain('on SQLite, jobs run in the process that sends them');
    const report = await cli(['report', '--db', db, '--json'], { cwd: directory });
    expect(report.json()).toMatchObject({ jobs: [], parked: [] });
  });

  it('refuses a concurrency of 0 for a worker', async () => {
    const run = await cli(['worker', '--db', `sqlite:${join(directory, 'worker.sqlite')}`, '--concurrency', '0'], { cwd: directory });
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr).toContain('--concurrency is at least 1');
  });
});

const url = process.env['TOOLWRIGHT_TEST_POSTGRES_URL'];
const schema = `cli_worker_test_${process.pid}_${Date.now()}`;
describe.skipIf(!url)('toolwright report on a fleet (PostgreSQL)', () => {
  afterAll(async () => {
    if (!url) return;
    const tw = await createToolwright({ database: url, improve: false });
    try {
      await tw.database.kysely.schema.dropSchema(schema).ifExists().cascade().execute();
    } finally {
      await tw.close();
    }
  });

  it('shows queued, running, failed and parked jobs per queue, and each parked job with its error', async () => {
    const tw = await createToolwright({ database: url ?? '', databaseOptions: { schema }, improve: false, worker: { concurrency: 1, retryLimit: 0, pollingIntervalSeconds: 0.5 } });
    try {
      const jobs = tw.jobs;
      if (jobs === undefined) throw new Error('createToolwright({ worker }) has no jobs');
      await jobs.define('nightly-reflection', async () => {
        throw new Error('the model answered 503 three times');
      });
      await jobs.work({ queues: ['nightly-reflection'] });
      await jobs.enqueue('nightly-reflection', { day: '2026-12-03' }, { key: 'reflect:2026-12-03' });
      const deadline = Date.now() + 20_000;
      while ((await jobs.parked()).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await tw.close();
    }
    const db = `${url}${(url ?? '').includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const json = (await cli(['report', '--db', db, '--json'], { cwd: directory })).json<{ jobs: unknown[]; parked: unknown[] }>();
    expect(json.jobs).toEqual(
      expect.arrayContaining([
        { queue: 'nightly-reflection', queued: 0, running: 0, failed: 0, parked: 1, completed: 0 },
        { queue: 'toolwright-improve', queued: 0, running: 0, failed: 0, parked: 0, completed: 0 },
      ]),
    );
    expect(json.parked).toEqual([expect.objectContaining({ queue: 'nightly-reflection', key: 'reflect:2026-12-03', attempts: 1, error: expect.stringContaining('the model answered 503 three times') })]);
    const text = await cli(['report', '--db', db], { cwd: directory });
    expect(text.stdout).toContain('Background jobs, per queue:');
    expect(text.stdout).toContain('parked nightly-reflection reflect:2026-12-03 after 1 attempts: ');
  });
});
