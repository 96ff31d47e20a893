import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createRollout } from './rollout.js';
import { describeRolloutStorage } from './rollout.suite.js';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend } from './test-support/backends.js';

noticePostgresSkipped('@toolwright/rollout rollout.int.test.ts');

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./__fixtures__/count-worker.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeRolloutStorage(postgresBackend);

  it('two OS processes and this one share the counts of one schema without losing an update', async () => {
    if (!existsSync(dist)) throw new Error(`build the package first (${dist} is missing): npx pnpm@9.15.9 --filter @toolwright/rollout build`);
    const database = await postgresBackend.create();
    try {
      const rollout = await createRollout({ database: database.db, flushIntervalMs: 0 });
      const experiment = await rollout.startCanary({ artifact: 'total_fares', baseline: 1, candidate: 2, share: 0.5 });
      const calls = 400;
      const children = [1, 2].map((seed) =>
        run(process.execPath, [worker, POSTGRES_URL as string, database.options.schema as string, 'total_fares', String(calls), String(seed)]),
      );
      for (let call = 0; call < calls; call++) {
        const assignment = rollout.serve('total_fares');
        if (assignment === undefined) throw new Error('no assignment');
        rollout.record(assignment, { success: true, latencyMs: 3 });
        rollout.recordArm(rollout.selectArm('booking', ['x', 'y']), { success: true });
        if (call % 50 === 49) await rollout.flush();
      }
      const outputs = await Promise.all(children);
      expect(outputs.map((output) => output.stdout.trim())).toEqual(['done', 'done']);
      await rollout.flush();
      const successes = (counts: Record<string, { successes: number }>) => Object.values(counts).reduce((total, arm) => total + arm.successes, 0);
      expect(successes(rollout.counts(experiment.id))).toBe(3 * calls);
      expect(successes(await rollout.storedCounts(experiment.id))).toBe(3 * calls);
      expect(successes(rollout.banditCounts('booking'))).toBe(3 * calls);
      await rollout.close();
    } finally {
      await database.cleanup();
    }
  });
});
