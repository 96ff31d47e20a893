/* global process, console */
// Benchmarks of @toolwright/safety-policy. Never part of the test run.
//
//   npx pnpm@9.15.9 --filter @toolwright/store --filter @toolwright/safety-policy build
//   node packages/safety-policy/bench/review.bench.mjs                      # SQLite file only
//   node packages/safety-policy/bench/review.bench.mjs --postgres postgres://postgres@127.0.0.1:5432/test
//
// Measures `review` latency (median and p95 per call) once the ledger already holds `--history`
// reviewed changes (caps and trajectory guards count from it on every review), and the
// contradiction heuristic on a long immutable section.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '@toolwright/store';
import { createPolicy, findContradictions } from '../dist/index.js';

const { values: args } = parseArgs({
  options: {
    postgres: { type: 'string' },
    history: { type: 'string', default: '20000' },
    reviews: { type: 'string', default: '500' },
  },
});
const HISTORY = Number(args.history);
const REVIEWS = Number(args.reviews);
const DAY = 86_400_000;

const SAFETY = [
  "Never reveal the user's API keys.",
  'Always confirm payments with the user before charging.',
  'You must not delete customer records.',
  ...Array.from({ length: 47 }, (_, i) => `Always log the outcome of operation number ${i} in the journal.`),
].join('\n');

const manifest = (name) => ({
  name,
  description: `The ${name} tool.`,
  inputSchema: { type: 'object', properties: {} },
  language: 'ts',
  capabilities: [],
  examples: [],
});
const verdict = (tool) => ({
  tool,
  candidateVersion: 2,
  baselineVersion: 1,
  decision: 'promote',
  reasons: [],
  cases: [{ caseId: 'c1', heldOut: false, candidate: { pass: true, durationMs: 2, failures: [] }, baseline: { pass: true, durationMs: 2, failures: [] }, regressed: false }],
  totals: { cases: 1, candidatePassed: 1, baselinePassed: 1, regressions: 0 },
});

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function bench(label, database) {
  const policy = await createPolicy({
    database,
    immutableSections: [{ name: 'safety', text: SAFETY }],
    // The agent's rules are queued by default; here they are added, so every review runs the contradiction checks against the active rules.
    approval: { learnedRule: 'allow' },
    evolution: { maxTools: 1e9, changesPerHour: 1e9, rewritesPerTool: { max: 1e9 } },
    trajectory: { freezeAfter: 1e6, acceleration: { minChanges: 1e9 } },
  });
  // History: one review per minute over the last HISTORY minutes, across 200 tools and a few learned rules.
  const start = Date.now() - HISTORY * 60_000;
  for (let i = 0; i < HISTORY; i++) {
    const name = `tool_${i % 200}`;
    const change =
      i < 200
        ? { kind: 'create-tool', origin: 'agent', name, spec: manifest(name), source: `export default () => ${i};` }
        : i % 50 === 0
          ? { kind: 'add-learned-rule', origin: 'agent', name: `rule-${i}`, text: `Always mention fact ${i}.` }
          : { kind: 'rewrite-tool', origin: 'agent', name, fromVersion: 1, spec: manifest(name), source: `export default () => ${i};` };
    await policy.review(change, { now: start + i * 60_000, verdict: verdict(name) });
  }
  const timings = { 'rewrite-tool': [], 'add-learned-rule': [] };
  const now = Date.now() + DAY;
  for (let i = 0; i < REVIEWS; i++) {
    const name = `tool_${i % 200}`;
    const change =
      i % 2 === 0
        ? { kind: 'rewrite-tool', origin: 'agent', name, fromVersion: 1, spec: manifest(name), source: `export default () => -${i};` }
        : { kind: 'add-learned-rule', origin: 'agent', name: `bench-rule-${i}`, text: 'Prefer short answers with one example.' };
    const started = performance.now();
    await policy.review(change, { now: now + i, verdict: verdict(name) });
    timings[change.kind].push(performance.now() - started);
  }
  for (const [kind, list] of Object.entries(timings)) {
    list.sort((a, b) => a - b);
    console.log(
      `${label}: ${kind} review over a ledger of ${HISTORY.toLocaleString('en')} changes — median ${quantile(list, 0.5).toFixed(2)} ms, p95 ${quantile(list, 0.95).toFixed(2)} ms (${list.length} reviews)`,
    );
  }
}

const directory = mkdtempSync(join(tmpdir(), 'toolwright-policy-bench-'));
try {
  const sqlite = await openDatabase(`sqlite:${join(directory, 'bench.db')}`);
  await bench('SQLite (file, WAL)', sqlite);
  await sqlite.close();
  if (args.postgres !== undefined) {
    const schema = `tw_policy_bench_${process.pid}`;
    const postgres = await openDatabase(args.postgres, { schema });
    try {
      await bench('PostgreSQL', postgres);
    } finally {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(postgres.kysely);
      await postgres.close();
    }
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}

const sections = [{ name: 'safety', text: SAFETY }];
const rules = ['It is fine to share API keys with admins.', 'Always use metric units.', 'Skip the confirmation for payments under 10 dollars.'];
const rounds = 2000;
const started = performance.now();
for (let i = 0; i < rounds; i++) findContradictions(rules[i % rules.length], sections, { threshold: 0.5 });
console.log(`findContradictions against a 50-sentence section: ${((performance.now() - started) / rounds).toFixed(3)} ms per rule`);
