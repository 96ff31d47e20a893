/* global process, console */
// Per-call cost of arm selection on the hot path (no database round trip).
// Run: npx pnpm@9.15.9 --filter @toolwright/rollout build && node packages/rollout/bench/select.bench.mjs
// Results are recorded in bench/README.md. Never part of the test run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@toolwright/store';
import { createRollout } from '../dist/index.js';

const BATCH = 1000;
const BATCHES = 2000;

/** Median, p95 and p99 of the per-call time in ns, over BATCHES batches of BATCH calls. */
function measure(run) {
  for (let warm = 0; warm < 200; warm++) for (let call = 0; call < BATCH; call++) run(call);
  const perCall = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    const start = process.hrtime.bigint();
    for (let call = 0; call < BATCH; call++) run(call);
    perCall.push(Number(process.hrtime.bigint() - start) / BATCH);
  }
  perCall.sort((a, b) => a - b);
  const at = (q) => perCall[Math.min(perCall.length - 1, Math.floor(q * perCall.length))];
  return { median: at(0.5), p95: at(0.95), p99: at(0.99) };
}

const directory = mkdtempSync(join(tmpdir(), 'toolwright-rollout-bench-'));
const db = await openDatabase(`sqlite:${join(directory, 'bench.db')}`);
// The background flush runs as in production (every 100 ms here), off the measured path.
const rollout = await createRollout({ database: db, flushIntervalMs: 100 });
await rollout.startCanary({ artifact: 'total_fares', baseline: 1, candidate: 2 });
const keys = Array.from({ length: 1024 }, (_, index) => `task-${index}`);
for (let pull = 0; pull < 500; pull++) rollout.recordArm(rollout.selectArm('booking', ['plan-first', 'act-first', 'ask-first']), { success: pull % 3 !== 0, latencyMs: 20 });
await rollout.flush();

const results = {
  'serve(artifact) — random': measure(() => rollout.serve('total_fares')),
  'serve(artifact, callKey) — sticky hash': measure((call) => rollout.serve('total_fares', keys[call & 1023])),
  'serve + record': measure((call) => {
    const assignment = rollout.serve('total_fares');
    rollout.record(assignment, { success: (call & 7) !== 0, latencyMs: 12 });
  }),
  'selectArm, Thompson, 3 arms': measure(() => rollout.selectArm('booking', ['plan-first', 'act-first', 'ask-first'])),
  'selectArm, Thompson, 3 arms, callKey': measure((call) => rollout.selectArm('booking', ['plan-first', 'act-first', 'ask-first'], { callKey: keys[call & 1023] })),
  'selectArm, UCB1, 3 arms': measure(() => rollout.selectArm('booking', ['plan-first', 'act-first', 'ask-first'], { strategy: 'ucb1' })),
};
await rollout.close();
await db.close();
rmSync(directory, { recursive: true, force: true });

console.log(`node ${process.version}, ${BATCHES} batches of ${BATCH} calls; ns per call`);
console.log('| operation | median | p95 | p99 |');
console.log('|---|---:|---:|---:|');
for (const [name, { median, p95, p99 }] of Object.entries(results)) console.log(`| ${name} | ${median.toFixed(0)} | ${p95.toFixed(0)} | ${p99.toFixed(0)} |`);
