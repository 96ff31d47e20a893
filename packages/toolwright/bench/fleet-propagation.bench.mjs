/* global process, console, setTimeout, URL */
// Run (after `npx tsup` in packages/toolwright), with a PostgreSQL server:
//   TOOLWRIGHT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test node packages/toolwright/bench/fleet-propagation.bench.mjs
// How long a promotion takes to reach the other processes of a fleet: three processes on one
// schema listen (registry change events over LISTEN/NOTIFY); this one promotes 20 versions
// through the gate; for each, the time from the gate's answer (after the commit) to each
// process's registry reader answering the new version. Results in packages/jobs/README.md.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createToolwright } from '../dist/index.js';

const url = process.env.TOOLWRIGHT_TEST_POSTGRES_URL;
if (!url) {
  console.error('TOOLWRIGHT_TEST_POSTGRES_URL is not set: the benchmark needs a PostgreSQL server.');
  process.exit(1);
}
const schema = `tw_fleet_bench_${randomBytes(4).toString('hex')}`;
const tw = await createToolwright({ database: url, databaseOptions: { schema }, improve: false, reflect: false, shadow: false });
const spec = {
  name: 'total_fares',
  description: 'Sums a list of fares.',
  inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] },
  language: 'ts',
  capabilities: [],
  examples: [{ input: { fares: [1, 2] }, output: 3 }],
};
const sourceOf = (n) => `export default ({ fares }: { fares: number[] }): number => fares.reduce((a, b) => a + b, ${n} - ${n});`;
await tw.gate.propose({ kind: 'create-tool', origin: 'person', name: 'total_fares', spec, source: sourceOf(1) }, { by: 'bench' });

const children = [];
try {
  const listener = fileURLToPath(new URL('./fleet-listener.mjs', import.meta.url));
  for (let index = 0; index < 3; index += 1) {
    const child = spawn(process.execPath, [listener], { env: { ...process.env, FLEET_DATABASE: url, FLEET_SCHEMA: schema }, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = [];
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop();
      lines.push(...parts);
    });
    children.push({ child, lines });
  }
  const waitFor = async (predicate) => {
    while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 2));
  };
  await waitFor(() => children.every(({ lines }) => lines.includes('READY')));
  const delays = [];
  for (let round = 2; round <= 21; round += 1) {
    const from = (await tw.registry.active('total_fares')).version;
    const outcome = await tw.gate.propose({ kind: 'rewrite-tool', origin: 'person', name: 'total_fares', fromVersion: from, spec, source: sourceOf(round) }, { by: 'bench' });
    const committedAt = Date.now();
    if (outcome.status !== 'applied') throw new Error(`round ${round}: ${outcome.status} ${outcome.summary}`);
    const version = outcome.version.version;
    await waitFor(() => children.every(({ lines }) => lines.some((line) => line.startsWith(`ACTIVE ${version} `))));
    for (const { lines } of children) delays.push(Number(lines.find((line) => line.startsWith(`ACTIVE ${version} `)).split(' ')[2]) - committedAt);
  }
  const sorted = [...delays].sort((a, b) => a - b);
  console.log(`promotion → served by the other processes: median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms (20 promotions × 3 processes)`);
} finally {
  for (const { child } of children) child.stdin.end();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await tw.database.kysely.executeQuery({ sql: `drop schema if exists "${schema}" cascade`, parameters: [], query: { kind: 'RawNode' } });
  await tw.close();
}
