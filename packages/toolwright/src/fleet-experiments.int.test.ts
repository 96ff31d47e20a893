import { openDatabase, type Database } from '@toolwright/store';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend, type TestDatabase } from '@toolwright/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolwright, type Toolwright } from './create-toolwright.js';
import { EXPERIMENTS_QUEUE, IMPROVE_QUEUE } from './index.js';
import { LOOP_SUM, SUM, SUM_SPEC as spec } from './test-support/sum-values.js';

// In a fleet the canary controller's look at live experiments is a job: every instance asks for
// it on its timer, the window's key throttles the asks to one job per window across the fleet,
// and whichever worker takes it looks (no instance looks on a timer of its own).

noticePostgresSkipped('toolwright fleet-experiments.int.test.ts');

describe.skipIf(POSTGRES_URL === undefined)('the look at live experiments in a fleet on PostgreSQL', () => {
  let database: TestDatabase<Database>;
  const instances: Toolwright[] = [];
  beforeAll(async () => {
    database = await postgresBackend(openDatabase, 'fleet_looks').create();
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close().catch(() => undefined);
    await database?.cleanup();
  });

  it('is one job per window however many instances ask, and the job rolls a worse canary back', { timeout: 180_000 }, async () => {
    const open = async (): Promise<Toolwright> => {
      const tw = await createToolwright({
        database: database.url,
        databaseOptions: { schema: database.options.schema as string },
        improve: false,
        reflect: false,
        shadow: false,
        rollout: { canary: true, tickMs: 1000, flushIntervalMs: 0 },
        worker: { concurrency: 1, pollingIntervalSeconds: 0.5, retryDelaySeconds: 0 },
      });
      instances.push(tw);
      return tw;
    };
    const started = Date.now();
    const [a, b] = [await open(), await open(), await open()];
    if (a === undefined || b === undefined) throw new Error('three instances');
    expect((await a.gate.propose({ kind: 'create-tool', origin: 'person', name: 'sum_values', spec, source: SUM }, { by: 'integrator' })).status).toBe('applied');
    const rewrite = await a.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'sum_values', fromVersion: 1, spec, source: LOOP_SUM }, { reason: 'a loop' });
    expect(rewrite.status, rewrite.summary).toBe('applied');
    const [canary] = await a.rollout.experiments({ status: ['running'], artifact: 'sum_values' });
    expect(canary?.kind).toBe('canary');

    // Live, the candidate fails every call it serves; the counts reach the database.
    for (let call = 0; call < 1500; call++) {
      const assignment = a.rollout.serve('sum_values', `task-${call}`);
      if (assignment !== undefined) a.rollout.record(assignment, { success: assignment.arm === 'baseline', latencyMs: 5 });
    }
    await a.rollout.flush();

    // Neither instance looks on a timer of its own: the rollback comes from a job one of them ran.
    const deadline = Date.now() + 60_000;
    while ((await b.rollout.experiment(canary?.id ?? ''))?.status === 'running' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await b.rollout.experiment(canary?.id ?? ''))?.status).toBe('rolled-back');
    expect((await b.registry.active('sum_values'))?.version).toBe(1);
    const rollbacks = (await a.memory.auditLog({ artifact: 'sum_values' })).filter((entry) => entry.action === 'rollback.applied');
    expect(rollbacks).toHaveLength(1);

    // Every instance asked every second (three asks a window, once all are up); the fleet made at most one job per window.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const windows = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
    const looks = (await a.jobs?.stats())?.find((stats) => stats.queue === EXPERIMENTS_QUEUE);
    const made = (looks?.queued ?? 0) + (looks?.running ?? 0) + (looks?.failed ?? 0) + (looks?.parked ?? 0) + (looks?.completed ?? 0);
    expect(made).toBeGreaterThanOrEqual(1);
    expect(made).toBeLessThanOrEqual(windows);
    expect(looks?.parked).toBe(0);
    expect((await a.jobs?.stats())?.map((stats) => stats.queue)).toEqual(expect.arrayContaining([IMPROVE_QUEUE, EXPERIMENTS_QUEUE]));
  });
});
