// Run: npx pnpm@9.15.9 --filter @toolwright/regression exec vitest bench --run
// Results are recorded in the package README. Never part of the test run.
import { contentHash, toolManifestSchema } from '@toolwright/core';
import { openDatabase } from '@toolwright/memory';
import { createSandbox } from '@toolwright/sandbox';
import { afterAll, bench, describe } from 'vitest';
import { createRegressionRunner } from '../src/index.js';

const sandbox = createSandbox();
const db = await openDatabase('sqlite::memory:');
const spec = toolManifestSchema.parse({ name: 'total_fares', description: 'Adds up fares.', inputSchema: { type: 'object' }, language: 'js' });
const source = 'export default ({ fares }) => fares.reduce((total, fare) => total + fare, 0);';
const baseline = {
  kind: 'tool' as const,
  name: 'total_fares',
  version: 1,
  source,
  spec,
  contentHash: contentHash({ kind: 'tool', name: 'total_fares', source, spec }),
  parent: null,
  author: { kind: 'person' as const, id: 'bench' },
  reason: 'bench',
  status: 'active' as const,
  pinned: false,
  createdAt: 0,
};
const candidate = { name: 'total_fares', parent: 1, source: `${source}\n`, spec, author: { kind: 'person' as const, id: 'bench' }, reason: 'bench', diagnosis: undefined as never, tokens: { inputTokens: 0, outputTokens: 0 } };
const regression = createRegressionRunner({ sandbox, database: db });
for (let index = 0; index < 1_000; index += 1) {
  await regression.capture({ tool: 'total_fares', input: { fares: [index, index / 2] }, result: { ok: true, value: index + index / 2 } });
}
const cases = await regression.cases('total_fares', { includeHeldOut: true });
let captured = 0;

afterAll(async () => {
  await sandbox.dispose();
  await db.close();
});

describe('regression', () => {
  bench('compare: candidate and baseline on 1,000 cases (SQLite store, real sandbox)', async () => {
    await regression.compare({ candidate, baseline, cases });
  }, { iterations: 10, warmupIterations: 2 });
  bench('capture: one live call into SQLite (insert, dedup and cap check in one transaction)', async () => {
    captured += 1;
    await regression.capture({ tool: 'bench_capture', input: { n: captured }, result: { ok: true, value: captured } });
  });
});
