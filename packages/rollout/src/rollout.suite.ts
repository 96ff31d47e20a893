import type { Database } from '@toolwright/store';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRollout, type Rollout } from './rollout.js';
import { seededRandom } from './random.js';
import { ROLLOUT_MIGRATION_TABLE } from './store/migrations.js';
import { type Backend, caught, type TestDatabase, thrown } from './test-support/backends.js';
import type { ArtifactVersion, RegistryReader, VersionStatus } from '@toolwright/core';
import { registryWith } from './test-support/doubles.js';

/** The rollout's storage behaviour, run against SQLite and PostgreSQL. */
export function describeRolloutStorage(backend: Backend<Database>): void {
  describe(`rollout storage (${backend.name})`, () => {
    let database: TestDatabase<Database>;
    const opened: Rollout[] = [];
    const open = async (db: Database = database.db, seed = 1) => {
      const rollout = await createRollout({ database: db, random: seededRandom(seed), flushIntervalMs: 0 });
      opened.push(rollout);
      return rollout;
    };
    beforeEach(async () => {
      database = await backend.create();
    });
    afterEach(async () => {
      for (const rollout of opened.splice(0)) await rollout.close();
      await database.cleanup();
    });

    it('migrates its tables through its own migration table', async () => {
      await open();
      const rows = await sql<{ name: string }>`select name from ${sql.table(ROLLOUT_MIGRATION_TABLE)}`.execute(database.db.kysely);
      expect(rows.rows.map((row) => row.name)).toEqual(['0001_rollout_tables']);
    });

    it('assigns a call key to the same arm every time, and a key in the canary share stays there as it widens', async () => {
      const rollout = await open();
      const experiment = await rollout.startCanary({ artifact: 'total_fares', baseline: 1, candidate: 2, share: 0.2 });
      const keys = Array.from({ length: 2000 }, (_, index) => `task-${index}`);
      const first = keys.map((key) => rollout.serve('total_fares', key)?.arm);
      expect(keys.map((key) => rollout.serve('total_fares', key)?.arm)).toEqual(first);
      const share = first.filter((arm) => arm === 'candidate').length / keys.length;
      expect(share).toBeGreaterThan(0.16);
      expect(share).toBeLessThan(0.24);
      expect(rollout.serve('total_fares', 'task-1')).toMatchObject({ experimentId: experiment.id, artifact: 'total_fares' });
      expect(rollout.serve('another_tool', 'task-1')).toBeUndefined();
      // Unkeyed calls are random: both arms appear.
      const unkeyed = new Set(Array.from({ length: 200 }, () => rollout.serve('total_fares')?.arm));
      expect(unkeyed).toEqual(new Set(['baseline', 'candidate']));
    });

    it('keeps experiments, counts and bandit state across a restart', async () => {
      const rollout = await open();
      const experiment = await rollout.startCanary({ artifact: 'total_fares', baseline: 1, candidate: 2 });
      for (let call = 0; call < 30; call++) {
        const assignment = rollout.serve('total_fares', `k${call}`);
        if (assignment === undefined) throw new Error('no assignment');
        rollout.record(assignment, { success: call % 3 !== 0, latencyMs: 10 + call });
      }
      for (let pull = 0; pull < 20; pull++) {
        const choice = rollout.selectArm('booking', ['plan-first', 'act-first']);
        rollout.recordArm(choice, { success: choice.arm === 'plan-first' });
      }
      const before = rollout.counts(experiment.id);
      const banditBefore = rollout.banditCounts('booking');
      await rollout.close();
      opened.splice(0);

      const reopenedDb = await database.open();
      const again = await open(reopenedDb);
      expect(again.counts(experiment.id)).toEqual(before);
      expect(again.banditCounts('booking')).toEqual(banditBefore);
      expect((await again.experiment(experiment.id))?.status).toBe('running');
      expect(again.serve('total_fares', 'k1')?.experimentId).toBe(experiment.id);
      expect((await again.events(experiment.id)).map((event) => event.event)).toEqual(['started']);
      const calls = Object.values(before).reduce((total, counts) => total + counts.successes + counts.failures, 0);
      expect(calls).toBe(30);
    });

    it('two instances on one database add up their counts without losing an increment', async () => {
      const a = await open(database.db, 2);
      const b = await open(await database.open(), 3);
      const experiment = await a.startCanary({ artifact: 'total_fares', baseline: 1, candidate: 2, share: 0.5 });
      await b.flush();
      expect(b.serve('total_fares', 'x')?.experimentId).toBe(experiment.id);
      const rounds = 20;
      const perRound = 25;
      for (let round = 0; round < rounds; round++) {
        for (const rollout of [a, b]) {
          for (let call = 0; call < perRound; call++) {
            const assignment = rollout.serve('total_fares');
            if (assignment === undefined) throw new Error('no assignment');
            rollout.record(assignment, { success: true, latencyMs: 5 });
            const choice = rollout.selectArm('booking', ['x', 'y']);
            rollout.recordArm(choice, { success: false });
          }
        }
        // One process holding two SQLite connections cannot interleave their transactions (better-sqlite3
        // waits synchronously for the lock); PostgreSQL flushes both at once.
        if (backend.name === 'postgres') await Promise.all([a.flush(), b.flush()]);
        else for (const rollout of [a, b]) await rollout.flush();
      }
      await a.flush();
      await b.flush();
      const total = (rollout: Rollout) => Object.values(rollout.counts(experiment.id)).reduce((sum, counts) => sum + counts.successes, 0);
      const bandit = (rollout: Rollout) => Object.values(rollout.banditCounts('booking')).reduce((sum, counts) => sum + counts.failures, 0);
      expect(total(a)).toBe(2 * rounds * perRound);
      expect(total(b)).toBe(2 * rounds * perRound);
      expect(bandit(a)).toBe(2 * rounds * perRound);
      expect(bandit(b)).toBe(2 * rounds * perRound);
    });

    it('experiments send no live traffic to rejected or still-unapproved versions', async () => {
      const statuses: Record<number, VersionStatus> = { 1: 'retired', 2: 'active', 3: 'rejected', 4: 'candidate', 5: 'candidate' };
      const version = (number: number): ArtifactVersion =>
        ({ kind: 'tool', name: 'total_fares', version: number, source: 'export default () => 1;', contentHash: `hash-${number}`, parent: null, author: { kind: 'person', id: 'test' }, reason: 'test', status: statuses[number], pinned: false, createdAt: 0 }) as ArtifactVersion;
      const registry: Pick<RegistryReader, 'get' | 'active'> = {
        async get(artifact, number) {
          return artifact === 'total_fares' && statuses[number] !== undefined ? version(number) : undefined;
        },
        async active(artifact) {
          return artifact === 'total_fares' ? version(2) : undefined;
        },
      };
      const rollout = await createRollout({ database: database.db, flushIntervalMs: 0, registry, openRequest: async (_artifact, number) => (number === 5 ? 'request-5' : undefined) });
      opened.push(rollout);
      const ab = (treatment: number) => rollout.startAbTest({ artifact: 'total_fares', arms: [{ name: 'control', version: 2 }, { name: 'treatment', version: treatment }] });
      const rejected = await caught(ab(3));
      expect([rejected.code, rejected.message]).toEqual(['ROLLOUT_UNFIT_VERSION', expect.stringMatching(/rejected/)]);
      const waiting = await caught(ab(5));
      expect([waiting.code, waiting.message]).toEqual(['ROLLOUT_UNFIT_VERSION', expect.stringMatching(/request-5/)]);
      const notActive = await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 2, candidate: 4 }));
      expect([notActive.code, notActive.message]).toEqual(['ROLLOUT_UNFIT_VERSION', expect.stringMatching(/not the active version/)]);
      expect(await rollout.experiments()).toEqual([]);
      // A candidate with no open request may be an A/B arm; a canary of the active version against the one it replaced starts.
      expect((await ab(4)).status).toBe('running');
    });

    it('refuses bad input with a coded error and writes nothing', async () => {
      const rollout = await createRollout({ database: database.db, flushIntervalMs: 0, registry: registryWith('total_fares', 3) });
      opened.push(rollout);
      expect((await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 2, candidate: 3, share: 1.5 }))).code).toBe('ROLLOUT_INVALID_SHARE');
      expect((await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 2, candidate: 3, share: -0.1 }))).code).toBe('ROLLOUT_INVALID_SHARE');
      expect((await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 2, candidate: 3, share: 0 }))).code).toBe('ROLLOUT_INVALID_SHARE');
      expect((await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 2, candidate: 3, share: 0.5, steps: [0.4, 1] }))).code).toBe('ROLLOUT_INVALID_SHARE');
      expect((await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 3 }))).code).toBe('ROLLOUT_NO_ARMS');
      expect(
        (
          await caught(
            rollout.startAbTest({
              artifact: 'total_fares',
              arms: [
                { name: 'a', version: 2 },
                { name: 'b', version: 3 },
              ],
              allocation: { a: 1, b: 0 },
            }),
          )
        ).code,
      ).toBe('ROLLOUT_INVALID_SHARE');
      expect((await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 2, candidate: 9 }))).code).toBe('ROLLOUT_UNKNOWN_ARM');
      expect((await caught(rollout.startAbTest({ artifact: 'total_fares', arms: [] }))).code).toBe('ROLLOUT_NO_ARMS');
      expect(
        (
          await caught(
            rollout.startAbTest({
              artifact: 'total_fares',
              arms: [
                { name: 'a', version: 2 },
                { name: 'b', version: 3 },
              ],
              allocation: { a: 0.5, b: 0.4 },
            }),
          )
        ).code,
      ).toBe('ROLLOUT_INVALID_SHARE');
      expect(
        (
          await caught(
            rollout.startAbTest({
              artifact: 'total_fares',
              arms: [
                { name: 'a', version: 2 },
                { name: 'b', version: 3 },
              ],
              allocation: { a: 0.5, c: 0.5 },
            }),
          )
        ).code,
      ).toBe('ROLLOUT_UNKNOWN_ARM');
      const invalid = await caught(rollout.startCanary({ artifact: '', baseline: 0, candidate: 3 }));
      expect(invalid.code).toBe('INVALID_ARGUMENT');
      expect(thrown(() => rollout.selectArm('booking', [])).code).toBe('ROLLOUT_NO_ARMS');
      expect(thrown(() => rollout.recordArm({ taskType: 'booking', arm: 'never-offered' }, { success: true })).code).toBe('ROLLOUT_UNKNOWN_ARM');
      expect(await rollout.experiments()).toEqual([]);

      const experiment = await rollout.startCanary({ artifact: 'total_fares', baseline: 2, candidate: 3 });
      expect(thrown(() => rollout.record({ experimentId: experiment.id, artifact: 'total_fares', arm: 'nope', version: 3 }, { success: true })).code).toBe('ROLLOUT_UNKNOWN_ARM');
      const second = await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 2, candidate: 3 }));
      expect(second.code).toBe('ROLLOUT_CONFLICT');
      expect(second.message).toMatch(/end it/);
      expect((await rollout.experiments()).map((entry) => entry.id)).toEqual([experiment.id]);
    });

    it('refuses an experiment on a pinned artifact', async () => {
      const rollout = await createRollout({ database: database.db, flushIntervalMs: 0, registry: registryWith('total_fares', 3, true) });
      opened.push(rollout);
      const error = await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 2, candidate: 3 }));
      expect(error.code).toBe('ROLLOUT_PINNED');
      expect(error.message).toMatch(/Unpin it first/);
      expect(await rollout.experiments()).toEqual([]);
    });

    it('refuses use after close', async () => {
      const rollout = await open();
      await rollout.close();
      expect((await caught(rollout.startCanary({ artifact: 'total_fares', baseline: 1, candidate: 2 }))).code).toBe('ROLLOUT_CLOSED');
    });
  });
}
