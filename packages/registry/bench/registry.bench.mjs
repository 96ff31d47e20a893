/* global process, console */
// Benchmarks of @toolwright/registry. Never part of the test run.
//
//   npx pnpm@9.15.9 --filter @toolwright/memory --filter @toolwright/registry build
//   node packages/registry/bench/registry.bench.mjs
//   node packages/registry/bench/registry.bench.mjs --postgres postgres://postgres@127.0.0.1:5432/test
//
// Measures register, promote and active() latency (median and p95) with 100 tools of 20
// versions each already registered, on a SQLite file and optionally on PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '@toolwright/memory';
import { sql } from 'kysely';
import { createRegistry } from '../dist/index.js';
import { createRegistryWriter } from '../dist/writer.js';

const { values: args } = parseArgs({ options: { postgres: { type: 'string' } } });
const TOOLS = 100;
const VERSIONS = 20;

const spec = (name) => ({ name, description: 'Sums a list of fares', inputSchema: { type: 'object', properties: { fares: { type: 'array' } } } });
const input = (name, variant) => ({
  kind: 'tool',
  name,
  source: `export default ({ fares }) => fares.reduce((a, b) => a + b, ${variant});\n`,
  spec: spec(name),
  author: { kind: 'model', id: 'bench' },
  reason: `variant ${variant}`,
  parent: null,
});
const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], p95: sorted[Math.ceil(0.95 * sorted.length) - 1] };
};
const time = async (runs, operation) => {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await operation(i);
    samples.push(performance.now() - start);
  }
  return stats(samples);
};

async function run(label, database) {
  const registry = await createRegistry({ database });
  const writer = await createRegistryWriter({ database });
  const register = await time(TOOLS * VERSIONS, (i) => writer.register(input(`tool_${i % TOOLS}`, Math.floor(i / TOOLS))));
  const promote = await time(TOOLS * 5, (i) => writer.promote(`tool_${i % TOOLS}`, 1 + Math.floor(i / TOOLS)));
  const active = await time(2000, (i) => registry.active(`tool_${i % TOOLS}`));
  const identical = await time(500, (i) => writer.register(input(`tool_${i % TOOLS}`, 0)));
  const bundle = await time(5, () => registry.exportBundle());
  await registry.close();
  console.log(`\n## ${label}\n\n| operation | median | p95 |\n|---|---|---|`);
  for (const [name, { median, p95 }] of Object.entries({
    'register (new version)': register,
    'register (identical content)': identical,
    promote: promote,
    'active()': active,
    [`exportBundle (${TOOLS * VERSIONS} versions)`]: bundle,
  })) {
    console.log(`| ${name} | ${median.toFixed(2)} ms | ${p95.toFixed(2)} ms |`);
  }
}

console.log(`# @toolwright/registry benchmark — Node ${process.version}, ${TOOLS} tools × ${VERSIONS} versions`);
const directory = mkdtempSync(join(tmpdir(), 'toolwright-registry-bench-'));
try {
  const db = await openDatabase(`sqlite:${join(directory, 'bench.db')}`);
  await run('SQLite (file, WAL)', db);
  await db.close();
} finally {
  rmSync(directory, { recursive: true, force: true });
}
if (args.postgres) {
  const schema = `tw_registry_bench_${process.pid}`;
  const db = await openDatabase(args.postgres, { schema });
  try {
    await run(`PostgreSQL (schema ${schema})`, db);
  } finally {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(db.kysely);
    await db.close();
  }
}
