import { describe, expect, it } from 'vitest';
import { createCanaryController } from './canary-controller.js';
import { changeOfProposal, gateReviewer } from './gate-reviewer.js';
import { seededRandom } from './random.js';
import { createRollout } from './rollout.js';
import { sqliteBackend } from './test-support/backends.js';
import { recordingGate, registryWith } from './test-support/doubles.js';

describe('the gate reviewer', () => {
  it('turns a widening into a widen-rollout change and a winner into a promote-version change', () => {
    const base = { experimentId: 'exp-1', artifact: 'total_fares', fromVersion: 3, toVersion: 4, reason: 'r', evidence: {} };
    expect(changeOfProposal({ ...base, kind: 'widen-rollout', fromShare: 0.1, toShare: 0.5 })).toEqual({
      kind: 'widen-rollout', origin: 'agent', name: 'total_fares', experimentId: 'exp-1', version: 4, baselineVersion: 3, fromShare: 0.1, toShare: 0.5,
    });
    expect(changeOfProposal({ ...base, kind: 'promote-winner', winner: { name: 'v4', version: 4 } }, 'person')).toEqual({
      kind: 'promote-version', origin: 'person', name: 'total_fares', fromVersion: 3, toVersion: 4, experimentId: 'exp-1',
    });
  });

  it("answers with the gate's status and summary, passing the reason and the person acting", async () => {
    const gate = recordingGate('queued');
    const review = await gateReviewer(gate, { origin: 'person', by: 'ada' }).review({
      kind: 'widen-rollout', experimentId: 'exp-1', artifact: 'total_fares', fromVersion: 3, toVersion: 4, fromShare: 0.1, toShare: 0.5, reason: 'not worse', evidence: {},
    });
    expect(review).toEqual({ status: 'queued', summary: 'waits for a person' });
    expect(gate.proposals[0]?.evidence).toEqual({ reason: 'not worse', by: 'ada' });
  });

  it("says so when the gate denies with a person's rejection (rule rejected-by-person), so the controller ends the experiment", async () => {
    const gate = {
      ...recordingGate(),
      async propose(change: Parameters<ReturnType<typeof recordingGate>['propose']>[0]) {
        return { status: 'denied' as const, change, decision: { outcome: 'deny' as const, reasons: [{ rule: 'rejected-by-person', detail: 'Rejected by ada.' }] }, summary: 'A person rejected it.' };
      },
    };
    const proposal = { kind: 'promote-winner' as const, experimentId: 'exp-1', artifact: 'total_fares', fromVersion: 3, toVersion: 4, winner: { name: 'v4', version: 4 }, reason: 'won', evidence: {} };
    expect(await gateReviewer(gate).review(proposal)).toEqual({ status: 'denied', summary: 'A person rejected it.', rejectedByPerson: true });
    expect(await gateReviewer(recordingGate('denied')).review(proposal)).toEqual({ status: 'denied', summary: 'denied by the policy' });
  });

  it('is the controller\'s reviewer when none is given: a queued widening holds the canary at its share', async () => {
    const database = await sqliteBackend.create();
    const rollout = await createRollout({ database: database.db, random: seededRandom(5), flushIntervalMs: 0, registry: registryWith('total_fares', 4) });
    try {
      const gate = recordingGate('queued');
      const controller = createCanaryController({ rollout, gate });
      await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
      const random = seededRandom(6);
      let held = 0;
      for (let look = 0; look < 60 && held < 2; look++) {
        for (let call = 0; call < 100; call++) {
          const assignment = rollout.serve('total_fares');
          if (assignment !== undefined) rollout.record(assignment, { success: random() < 0.95, latencyMs: 10 });
        }
        const [step] = await controller.tick();
        if (step?.action === 'widen-held') held++;
        expect(step?.experiment.allocation['candidate']).toBe(0.1);
      }
      expect(held).toBe(2);
      const kinds = gate.proposals.map((proposal) => proposal.change.kind);
      expect(kinds).toEqual(['widen-rollout', 'widen-rollout']);
      expect(gate.proposals[0]?.change).toEqual(gate.proposals[1]?.change);
    } finally {
      await rollout.close();
      await database.cleanup();
    }
  });
});

describe('a denied widening', () => {
  it('is proposed again only after another minCalls candidate calls, not at every look', async () => {
    const database = await sqliteBackend.create();
    const rollout = await createRollout({ database: database.db, random: seededRandom(8), flushIntervalMs: 0, registry: registryWith('total_fares', 4) });
    try {
      const gate = recordingGate('denied');
      const controller = createCanaryController({ rollout, gate });
      const canary = await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4, share: 0.5 });
      const looks: string[] = [];
      for (let look = 0; look < 40; look++) {
        for (let call = 0; call < 20; call++) {
          const assignment = rollout.serve('total_fares');
          if (assignment !== undefined) rollout.record(assignment, { success: true, latencyMs: 10 });
        }
        const [step] = await controller.tick();
        looks.push(step?.action ?? 'none');
      }
      const proposals = gate.proposals.filter((proposal) => proposal.change.kind === 'widen-rollout').length;
      expect(proposals).toBeGreaterThanOrEqual(2);
      // 40 looks of ~10 candidate calls each: one proposal per 50 new candidate calls at most.
      expect(proposals).toBeLessThanOrEqual(Math.ceil((40 * 10) / 50) + 1);
      expect(looks.filter((action) => action === 'widen-held')).toHaveLength(proposals);
      expect((await rollout.events(canary.id)).filter((event) => event.event === 'widen-held')).toHaveLength(proposals);
      expect((await rollout.experiment(canary.id))?.allocation['candidate']).toBe(0.5);
    } finally {
      await rollout.close();
      await database.cleanup();
    }
  });
});
