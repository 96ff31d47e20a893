// Run: npx pnpm@9.15.9 --filter toolwright exec vitest bench --run bench/shadow.bench.ts
// What the post-promotion shadow comparison costs. Results are recorded in the package README.
// Never part of the test run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type Agent, type CreateAgentOptions } from '@toolwright/core';
import { afterAll, bench, describe } from 'vitest';
import { createToolwright } from '../src/index.js';

const directory = mkdtempSync(join(tmpdir(), 'toolwright-shadow-bench-'));
const tw = await createToolwright({ database: `sqlite:${join(directory, 'bench.sqlite')}`, improve: false, reflect: false, shadow: false });
const spec = {
  name: 'total_fares',
  description: 'Sums a list of fares, rounded to cents.',
  inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] },
  examples: [{ input: { fares: [1, 2] }, output: 3 }],
};
await tw.gate.propose({ kind: 'create-tool', origin: 'person', name: 'total_fares', spec: spec as never, source: 'export default ({ fares }: { fares: number[] }): number => Math.round(fares.reduce((a, b) => a + b, 0) * 100) / 100;' }, { by: 'bench' });
// v2 agrees with v1 everywhere (so nothing is rolled back): every sampled call is a full comparison.
await tw.gate.propose(
  { kind: 'rewrite-tool', origin: 'person', name: 'total_fares', fromVersion: 1, spec: (await tw.registry.active('total_fares'))?.spec as never, source: 'export default ({ fares }: { fares: number[] }): number => { let sum = 0; for (const fare of fares) sum += fare; return Math.round(sum * 100) / 100; };' },
  { by: 'bench' },
);

const agentWith = (shadow: CreateAgentOptions['shadow']): Agent =>
  createAgent({ model: tw.model, sandbox: tw.sandbox, memory: tw.memory, registry: tw.registry, evaluator: tw.evaluator, rewriter: tw.rewriter, regression: tw.regression, gate: tw.gate, improve: false, reflect: false, shadow });
const off = agentWith(false);
const everyCall = agentWith({ initialRate: 1, rate: 1, random: () => 0, maxConcurrent: 2 });
const defaults = agentWith({});
let n = 0;
const input = () => ({ fares: [n++, 0.5, 7] });

afterAll(async () => {
  await Promise.all([off.close(), everyCall.close(), defaults.close()]);
  await tw.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('the user\'s path: agent.call latency (the shadow run is not awaited)', () => {
  bench('shadow off', async () => {
    await off.call('total_fares', input());
  });
  bench('shadow on every call (rate 1, the worst case)', async () => {
    await everyCall.call('total_fares', input());
  });
  bench('shadow at the defaults (5 % of the first 200 calls, then 1 %)', async () => {
    await defaults.call('total_fares', input());
  });
});

describe('the whole cost: agent.call, then agent.idle() (the comparison and its storage)', () => {
  bench('shadow off', async () => {
    await off.call('total_fares', input());
    await off.idle();
  });
  bench('shadow on every call', async () => {
    await everyCall.call('total_fares', input());
    await everyCall.idle();
  });
});
