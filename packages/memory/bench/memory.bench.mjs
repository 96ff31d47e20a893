/* global process, console */
// Benchmarks of @toolwright/memory. Never part of the test run.
//
//   npx pnpm@9.15.9 --filter @toolwright/memory build
//   node packages/memory/bench/memory.bench.mjs                      # SQLite file only
//   node packages/memory/bench/memory.bench.mjs --postgres postgres://postgres@127.0.0.1:5432/test
//
// Measures, per database: `record` hot-path time (median per call), batched write throughput
// against the naive one-insert-and-commit-per-call pattern (same run, same table), and
// `summary` latency over 1,000,000 recorded invocations across 100 tools.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createMemory, openDatabase } from '../dist/index.js';

const { values: args } = parseArgs({
  options: {
    postgres: { type: 'string' },
    invocations: { type: 'string', default: '1000000' },
    tools: { type: 'string', default: '100' },
  },
});
const TOTAL = Number(args.invocations);
const TOOLS = Number(args.tools);
const HASH = 'a'.repeat(64);
const ERROR_CODES = ['E_TIMEOUT', 'E_RANGE', 'E_PARSE'];

let seed = 42;
function random() {
  // Deterministic (mulberry32), so every run records the same data.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function makeInvocation(i, tools = TOOLS) {
  const tool = `tool_${i % tools}`;
  const version = 1 + (Math.floor(i / tools) % 3);
  const durationMs = Math.round(-Math.log(1 - random()) * 8 * 1000) / 1000;
  const failed = random() < 0.05;
  return failed
    ? { tool, version, startedAt: 1_700_000_000_000 + i, durationMs, outcome: { ok: false, error: { code: ERROR_CODES[i % 3], message: `call ${i} failed` } }, inputHash: HASH, taskId: `task-${i % 1000}` }
    : { tool, version, startedAt: 1_700_000_000_000 + i, durationMs, outcome: { ok: true }, inputHash: HASH, outputHash: HASH, taskId: `task-${i % 1000}` };
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function benchRecord(db) {
  // Long interval and a huge batch: only the explicit flush between rounds writes.
  const memory = await createMemory({ database: db, batchSize: 10_000, flushIntervalMs: 3_600_000, maxBufferedInvocations: 10_000_000 });
  const invocations = Array.from({ length: 1000 }, (_, i) => makeInvocation(i, 10));
  const samples = [];
  for (let round = 0; round < 300; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < invocations.length; i++) memory.record(invocations[i]);
    samples.push(Number(process.hrtime.bigint() - start) / invocations.length);
    if (round % 10 === 9) await memory.flush();
  }
  await memory.close();
  await sql`delete from memory_invocations`.execute(db.kysely);
  return { medianNs: median(samples.slice(50)), p95Ns: percentile(samples.slice(50), 0.95) };
}

async function benchThroughput(db, count, naiveCount) {
  const invocations = Array.from({ length: count }, (_, i) => makeInvocation(i));
  const batched = {};
  // Batched, with the default batch size and with a large one: record everything, then flush.
  for (const batchSize of [1000, 10_000]) {
    const memory = await createMemory({ database: db, batchSize, maxBufferedInvocations: 10_000_000 });
    const start = performance.now();
    for (const invocation of invocations) memory.record(invocation);
    await memory.flush();
    batched[batchSize] = count / ((performance.now() - start) / 1000);
    await memory.close();
    await sql`delete from memory_invocations`.execute(db.kysely);
  }

  // The naive pattern: one INSERT, one commit, per call.
  const start = performance.now();
  for (let i = 0; i < naiveCount; i++) {
    const inv = invocations[i];
    await db.kysely
      .insertInto('memory_invocations')
      .values({
        tool: inv.tool, version: inv.version, started_at: inv.startedAt, duration_ms: inv.durationMs, ok: inv.outcome.ok ? 1 : 0,
        error_code: inv.outcome.ok ? null : inv.outcome.error.code, error_message: inv.outcome.ok ? null : inv.outcome.error.message,
        input_hash: inv.inputHash, output_hash: inv.outputHash ?? null, task_id: inv.taskId ?? null,
      })
      .execute();
  }
  const naive = naiveCount / ((performance.now() - start) / 1000);
  await sql`delete from memory_invocations`.execute(db.kysely);
  return { batched, naive };
}

async function benchSummary(db) {
  const memory = await createMemory({ database: db, maxBufferedInvocations: 10_000_000 });
  let start = performance.now();
  const chunk = 100_000;
  for (let offset = 0; offset < TOTAL; offset += chunk) {
    for (let i = offset; i < Math.min(TOTAL, offset + chunk); i++) memory.record(makeInvocation(i));
    await memory.flush();
  }
  const loadSeconds = (performance.now() - start) / 1000;
  if (db.dialect === 'postgres') await sql`analyze memory_invocations`.execute(db.kysely);
  else await sql`analyze`.execute(db.kysely);

  const windows = {
    'lastN: 50': () => ({ lastN: 50 }),
    'lastN: 1000': () => ({ lastN: 1000 }),
    'lastN: 1000, one version': () => ({ lastN: 1000, version: 2 }),
    [`all ${fmt(TOTAL / TOOLS)} calls of a tool (since)`]: () => ({ since: 0 }),
  };
  const measure = async () => {
    const results = {};
    for (const [label, window] of Object.entries(windows)) {
      const samples = [];
      for (let i = 0; i < 60; i++) {
        const tool = `tool_${Math.floor(random() * TOOLS)}`;
        const started = performance.now();
        const summary = await memory.summary(tool, window());
        samples.push(performance.now() - started);
        if (summary.count === 0) throw new Error(`empty summary for ${tool}`);
      }
      results[label] = { median: median(samples.slice(10)), p95: percentile(samples.slice(10), 0.95) };
    }
    return results;
  };
  const tables = { 'right after loading (ANALYZE only)': await measure() };
  if (db.dialect === 'postgres') {
    // What autovacuum reaches on an insert-only table: the visibility map lets the covering
    // index answer without visiting the heap.
    await sql`vacuum analyze memory_invocations`.execute(db.kysely);
    tables['after VACUUM'] = await measure();
  }
  await memory.close();
  return { loadRate: TOTAL / loadSeconds, tables };
}

async function run(label, db, naiveCount) {
  console.log(`\n## ${label}\n`);
  const record = await benchRecord(db);
  console.log(`record() hot path: median ${fmt(record.medianNs)} ns/call (p95 ${fmt(record.p95Ns)} ns)`);
  const throughput = await benchThroughput(db, 200_000, naiveCount);
  console.log(`write throughput (200,000 invocations, 100 tools, into an empty table):`);
  for (const [batchSize, rate] of Object.entries(throughput.batched)) {
    console.log(`  batched, batchSize ${fmt(Number(batchSize))}: ${fmt(rate)} invocations/s (${fmt(rate / throughput.naive, 1)}x naive)`);
  }
  console.log(`  naive (one insert + commit per call): ${fmt(throughput.naive)} invocations/s`);
  const summary = await benchSummary(db);
  console.log(`loaded ${fmt(TOTAL)} invocations across ${TOOLS} tools at ${fmt(summary.loadRate)}/s`);
  for (const [when, results] of Object.entries(summary.tables)) {
    console.log(`\nsummary latency, ${when}:\n\n| summary window | median | p95 |\n|---|---|---|`);
    for (const [window, { median: m, p95 }] of Object.entries(results)) console.log(`| ${window} | ${fmt(m, 2)} ms | ${fmt(p95, 2)} ms |`);
  }
}

console.log(`# @toolwright/memory benchmark — Node ${process.version}, ${fmt(TOTAL)} invocations, ${TOOLS} tools`);
const directory = mkdtempSync(join(tmpdir(), 'toolwright-bench-'));
try {
  const db = await openDatabase(`sqlite:${join(directory, 'bench.db')}`);
  await run('SQLite (file, WAL)', db, 5_000);
  await db.close();
} finally {
  rmSync(directory, { recursive: true, force: true });
}
if (args.postgres) {
  const schema = `tw_bench_${process.pid}`;
  const db = await openDatabase(args.postgres, { schema });
  try {
    await run(`PostgreSQL (${db.url}, schema ${schema})`, db, 2_000);
  } finally {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(db.kysely);
    await db.close();
  }
}
