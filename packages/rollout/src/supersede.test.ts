import { describe, expect, it } from 'vitest';
import { createCanaryController } from './canary-controller.js';
import { seededRandom } from './random.js';
import { createRollout } from './rollout.js';
import { sqliteBackend } from './test-support/backends.js';
import { recordingGate, recordingReviewer, registryWith } from './test-support/doubles.js';

describe('supersede', () => {
  it('ends the live experiments of an artifact without proposing anything, and leaves the others', async () => {
    const database = await sqliteBackend.create();
    const rollout = await createRollout({ database: database.db, random: seededRandom(3), flushIntervalMs: 0, registry: registryWith('total_fares', 4) });
    try {
      const gate = recordingGate();
      const controller = createCanaryController({ rollout, gate, reviewer: recordingReviewer() });
      const canary = await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
      const steps = await controller.supersede('total_fares', 'v5 was applied by the gate');
      expect(steps).toMatchObject([{ experimentId: canary.id, action: 'stopped', experiment: { status: 'stopped', outcome: { result: 'stopped', reason: 'v5 was applied by the gate' } } }]);
      expect(gate.proposals).toEqual([]);
      expect(rollout.serve('total_fares', 'task-1')).toBeUndefined();
      expect((await rollout.events(canary.id)).map((event) => event.event)).toEqual(['started', 'superseded']);
      expect(await controller.supersede('other_tool', 'nothing runs on it')).toEqual([]);
    } finally {
      await rollout.close();
      await database.cleanup();
    }
  });
});
