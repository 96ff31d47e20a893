/* global process, console, setTimeout, performance */
// Run (after `npx tsup` in packages/jobs), with a PostgreSQL server:
//   TOOLWRIGHT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test node packages/jobs/bench/queue.bench.mjs
// The chosen engine (pg-boss 10, through @toolwright/jobs) on a fresh schema: jobs per second
// with two instances working, and the enqueue → start latency of a job sent to an idle fleet.
// Results are recorded in packages/jobs/README.md. Never part of the test run.
import { randomBytes } from 'node:crypto';
import { openDatabase } from '@toolwright/store';
import { sql } from 'kysely';
import { createJobQueue } from '../dist/index.js';

const url = process.env.TOOLWRIGHT_TEST_POSTGRES_URL;
if (!url) {
  console.error('TOOLWRIGHT_TEST_POSTGRES_URL is not set: the benchmark needs a PostgreSQL server.');
  process.exit(1);
}
const schema = `tw_jobs_bench_${randomBytes(4).toString('hex')}`;
const handles = [await openDatabase(url, { schema }), await openDatabase(url, { schema })];
const options = { pollingIntervalSeconds: 0.5, retryDelaySeconds: 0 };
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms (n=${sorted.length})`;
};

try {
  const queues = [];
  for (const database of handles) queues.push(await createJobQueue({ database, ...options }));
  const started = new Map();
  const done = new Set();
  for (const queue of queues) {
    await queue.define('bench', async (data) => {
      started.set(data.n, Date.now() - data.sentAt);
      done.add(data.n);
    });
    await queue.work({ concurrency: 4 });
  }
  const waitFor = async (count) => {
    while (done.size < count) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  // Throughput: 1,000 keyed jobs sent in a burst, worked by two instances × 4.
  const total = 1000;
  const t0 = performance.now();
  for (let n = 0; n < total; n += 1) await queues[n % 2].enqueue('bench', { n, sentAt: Date.now() }, { key: `bench:${n}` });
  const sent = performance.now();
  await waitFor(total);
  const t1 = performance.now();
  console.log(`enqueue: ${(total / ((sent - t0) / 1000)).toFixed(0)} jobs/s (keyed, one transaction each)`);
  console.log(`throughput: ${(total / ((t1 - t0) / 1000)).toFixed(0)} jobs/s end to end (send → complete, 2 instances × concurrency 4)`);

  // Latency to an idle fleet: one job at a time, 40 of them, 300 ms apart.
  started.clear();
  done.clear();
  for (let n = 0; n < 40; n += 1) {
    await queues[n % 2].enqueue('bench', { n: total + n, sentAt: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  await waitFor(40);
  console.log(`enqueue → start on an idle fleet (polling every 0.5 s): ${stats([...started.values()])}`);
  for (const queue of queues) await queue.close();
} finally {
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handles[0].kysely);
  for (const database of handles) await database.close();
}
