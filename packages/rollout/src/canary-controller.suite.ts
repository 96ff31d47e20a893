import type { Database } from '@toolwright/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CanaryController, type ControllerStep, createCanaryController } from './canary-controller.js';
import { type Random, seededRandom } from './random.js';
import { createRollout, type Rollout } from './rollout.js';
import { type Backend, caught, type TestDatabase } from './test-support/backends.js';
import { recordingGate, recordingReviewer, registryWith, switchablePolicy } from './test-support/doubles.js';

/** Serves `calls` calls of `artifact` and records outcomes drawn with each arm's success probability. */
function traffic(rollout: Rollout, artifact: string, calls: number, successByArm: Record<string, number>, random: Random, latencyByArm: Record<string, number> = {}): void {
  for (let call = 0; call < calls; call++) {
    const assignment = rollout.serve(artifact);
    if (assignment === undefined) return;
    rollout.record(assignment, {
      success: random() < (successByArm[assignment.arm] ?? 0),
      latencyMs: (latencyByArm[assignment.arm] ?? 100) * (0.5 + random()),
    });
  }
}

/** Runs traffic and looks until the experiment ends or `looks` run out; returns every step and the largest candidate share seen. */
async function drive(rollout: Rollout, controller: CanaryController, successByArm: Record<string, number>, seed: number, looks = 200, latencyByArm: Record<string, number> = {}) {
  const random = seededRandom(seed);
  const steps: ControllerStep[] = [];
  let widest = 0;
  for (let look = 0; look < looks; look++) {
    traffic(rollout, 'total_fares', 100, successByArm, random, latencyByArm);
    const [step] = await controller.tick();
    if (step === undefined) break;
    steps.push(step);
    widest = Math.max(widest, step.experiment.allocation['candidate'] ?? 0);
    if (step.experiment.status !== 'running' && step.experiment.status !== 'frozen') break;
  }
  return { steps, widest };
}

/** The canary controller and A/B endings, run against SQLite and PostgreSQL. */
export function describeCanaryController(backend: Backend<Database>): void {
  describe(`canary controller (${backend.name})`, () => {
    let database: TestDatabase<Database>;
    let rollout: Rollout;
    beforeEach(async () => {
      database = await backend.create();
      rollout = await createRollout({ database: database.db, random: seededRandom(7), flushIntervalMs: 0, registry: registryWith('total_fares', 4) });
    });
    afterEach(async () => {
      await rollout.close();
      await database.cleanup();
    });

    it('rolls a worse canary back through the gate before it reaches 100 %, with an event and the evidence', async () => {
      const gate = recordingGate();
      const reviewer = recordingReviewer();
      const controller = createCanaryController({ rollout, gate, reviewer });
      const experiment = await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
      expect(experiment.allocation).toEqual({ baseline: 0.9, candidate: 0.1 });
      const { steps, widest } = await drive(rollout, controller, { baseline: 0.95, candidate: 0.75 }, 1);
      const last = steps.at(-1);
      expect(last?.action).toBe('rolled-back');
      expect(widest).toBeLessThan(1);
      expect(gate.proposals).toHaveLength(1);
      expect(gate.proposals[0]?.change).toEqual({ kind: 'rollback', origin: 'agent', name: 'total_fares', fromVersion: 4, toVersion: 3 });
      expect(gate.proposals[0]?.evidence?.reason).toMatch(/success rate is below the baseline/);
      const stored = await rollout.experiment(experiment.id);
      expect(stored).toMatchObject({ status: 'rolled-back', outcome: { result: 'rolled-back' } });
      const events = await rollout.events(experiment.id);
      const rolledBack = events.find((event) => event.event === 'rolled-back');
      expect(rolledBack?.data).toMatchObject({ gate: { status: 'applied', auditId: 'audit-1' } });
      expect((rolledBack?.data['evidence'] as { successDifference: { upper: number } }).successDifference.upper).toBeLessThan(0);
      // Ended: the registry's active version (the baseline, after the rollback) serves every call.
      expect(rollout.serve('total_fares', 'any')).toBeUndefined();
    });

    it('reports per-arm figures and the history', async () => {
      const controller = createCanaryController({ rollout, gate: recordingGate(), reviewer: recordingReviewer() });
      const experiment = await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
      await drive(rollout, controller, { baseline: 0.95, candidate: 0.75 }, 1);
      const report = await rollout.report(experiment.id);
      expect(report.arms.map((entry) => [entry.arm, entry.version, entry.share])).toEqual([
        ['baseline', 3, 1],
        ['candidate', 4, 0],
      ]);
      expect(report.arms[1]?.figures.calls).toBeGreaterThanOrEqual(50);
      expect(report.arms[1]?.figures.successRate).toBeLessThan(report.arms[0]?.figures.successRate ?? 0);
      expect(report.events.map((event) => event.event)).toEqual(['started', 'rollback-proposed', 'rolled-back']);
      expect((await caught(rollout.report('nope'))).code).toBe('ROLLOUT_NOT_FOUND');
    });

    it('of two instances looking at a worse canary at once, one proposes the rollback', async () => {
      const gate = recordingGate();
      const first = createCanaryController({ rollout, gate });
      const other = await createRollout({ database: await database.open(), random: seededRandom(17), flushIntervalMs: 0 });
      try {
        const second = createCanaryController({ rollout: other, gate });
        await first.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4, share: 0.5 });
        await other.flush();
        const random = seededRandom(18);
        for (const instance of [rollout, other]) traffic(instance, 'total_fares', 400, { baseline: 0.95, candidate: 0.5 }, random);
        // SQLite: one process cannot interleave two connections' transactions; PostgreSQL looks at once.
        const steps =
          backend.name === 'postgres' ? (await Promise.all([first.tick(), second.tick()])).flat() : [...(await first.tick()), ...(await second.tick())];
        expect(steps.filter((step) => step.action === 'rolled-back')).toHaveLength(1);
        expect(gate.proposals).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('a rollback claim is durable: while one is in flight no other look proposes it again, and an abandoned one is taken again after rollbackClaimMs', async () => {
      let now = 1_000;
      const clocked = await createRollout({ database: await database.open(), random: seededRandom(27), flushIntervalMs: 0, clock: () => now });
      try {
        const proposals: unknown[] = [];
        const gate = {
          ...recordingGate(),
          async propose(change: Parameters<ReturnType<typeof recordingGate>['propose']>[0]): ReturnType<ReturnType<typeof recordingGate>['propose']> {
            proposals.push(change);
            // The first proposal dies mid-call (a crashed process, a lost connection).
            if (proposals.length === 1) throw new Error('connection lost');
            return { status: 'applied', change, decision: { outcome: 'allow', reasons: [] }, summary: 'rolled back', auditId: 'audit-2' };
          },
        };
        const controller = createCanaryController({ rollout: clocked, gate, rollbackClaimMs: 30_000 });
        const experiment = await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4, share: 0.5 });
        traffic(clocked, 'total_fares', 400, { baseline: 0.95, candidate: 0.5 }, seededRandom(28));
        await expect(controller.tick()).rejects.toThrow(/connection lost/);
        expect((await clocked.experiment(experiment.id))?.plan).toMatchObject({ rollbackClaim: { at: 1_000 } });
        now += 29_000;
        expect((await controller.tick())[0]).toMatchObject({ action: 'none', reason: expect.stringMatching(/rollback is being proposed/) });
        expect((await controller.stop(experiment.id, { by: 'ada', reason: 'stop it' })).action).toBe('none');
        expect(proposals).toHaveLength(1);
        now += 1_000;
        expect((await controller.tick())[0]).toMatchObject({ action: 'rolled-back' });
        expect(proposals).toHaveLength(2);
      } finally {
        await clocked.close();
      }
    });

    it('rolls back a canary that is much slower although it succeeds as often', async () => {
      const gate = recordingGate();
      const controller = createCanaryController({ rollout, gate, reviewer: recordingReviewer() });
      await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
      const { steps, widest } = await drive(rollout, controller, { baseline: 0.95, candidate: 0.95 }, 2, 200, { baseline: 100, candidate: 400 });
      expect(steps.at(-1)?.action).toBe('rolled-back');
      expect(steps.at(-1)?.reason).toMatch(/slower than tolerated/);
      expect(widest).toBeLessThan(1);
    });

    it('widens a better canary 10 → 50 → 100 %, each widening reviewed, and completes it', async () => {
      const gate = recordingGate();
      const reviewer = recordingReviewer();
      const controller = createCanaryController({ rollout, gate, reviewer });
      const experiment = await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
      const { steps } = await drive(rollout, controller, { baseline: 0.9, candidate: 0.97 }, 3);
      expect(steps.filter((step) => step.action === 'widened').map((step) => step.experiment.allocation['candidate'])).toEqual([0.5]);
      expect(steps.at(-1)).toMatchObject({ action: 'completed', experiment: { status: 'completed', allocation: { candidate: 1 }, outcome: { result: 'promoted', winner: 'candidate' } } });
      expect(reviewer.proposals.map((proposal) => [proposal.kind, proposal.fromShare, proposal.toShare, proposal.toVersion])).toEqual([
        ['widen-rollout', 0.1, 0.5, 4],
        ['widen-rollout', 0.5, 1, 4],
      ]);
      expect(gate.proposals).toEqual([]);
      expect((await rollout.events(experiment.id)).map((event) => event.event)).toEqual(['started', 'widened', 'completed']);
    });

    it('holds a good canary at its first share while the reviewer does not allow widening', async () => {
      const reviewer = recordingReviewer('queued');
      const controller = createCanaryController({ rollout, gate: recordingGate(), reviewer });
      await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4, share: 0.2 });
      const { steps, widest } = await drive(rollout, controller, { baseline: 0.9, candidate: 0.97 }, 4, 60);
      expect(widest).toBe(0.2);
      expect(steps.some((step) => step.action === 'widen-held')).toBe(true);
      expect(steps.at(-1)?.experiment.status).toBe('running');
    });

    it('when the gate refuses the rollback, sends every call to the baseline and does not ask again', async () => {
      const gate = recordingGate('queued');
      const controller = createCanaryController({ rollout, gate, reviewer: recordingReviewer() });
      await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
      const { steps } = await drive(rollout, controller, { baseline: 0.95, candidate: 0.6 }, 5, 30);
      expect(steps.some((step) => step.action === 'rollback-refused')).toBe(true);
      expect(gate.proposals).toHaveLength(1);
      expect(new Set(Array.from({ length: 50 }, (_, index) => rollout.serve('total_fares', `k${index}`)?.arm))).toEqual(new Set(['baseline']));
    });

    it('freezes every experiment at its baseline while the kill switch is on, refuses new ones, and resumes', async () => {
      const policy = switchablePolicy();
      const controller = createCanaryController({ rollout, gate: recordingGate(), policy, reviewer: recordingReviewer() });
      const experiment = await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4, share: 0.5 });
      policy.engaged = true;
      const [frozen] = await controller.tick();
      expect(frozen).toMatchObject({ action: 'frozen', experiment: { status: 'frozen' } });
      expect(new Set(Array.from({ length: 100 }, (_, index) => rollout.serve('total_fares', `k${index}`)?.arm))).toEqual(new Set(['baseline']));
      expect((await caught(controller.startAbTest({ artifact: 'other', arms: [{ name: 'a', version: 1 }, { name: 'b', version: 2 }] }))).code).toBe('POLICY_KILL_SWITCH');
      policy.engaged = false;
      const [resumed] = await controller.tick();
      expect(resumed).toMatchObject({ action: 'resumed', experiment: { status: 'running' } });
      expect((await rollout.events(experiment.id)).map((event) => event.event)).toEqual(['started', 'frozen', 'resumed']);
    });

    it('a person stopping a canary rolls it back through the gate', async () => {
      const gate = recordingGate();
      const controller = createCanaryController({ rollout, gate });
      const experiment = await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
      const step = await controller.stop(experiment.id, { by: 'ada', reason: 'customer complaints' });
      expect(step.action).toBe('rolled-back');
      expect(gate.proposals[0]).toMatchObject({ change: { kind: 'rollback', origin: 'person', fromVersion: 4, toVersion: 3 }, evidence: { by: 'ada' } });
      expect((await caught(controller.stop(experiment.id, { by: 'ada', reason: 'again' }))).code).toBe('ROLLOUT_CONFLICT');
      expect((await caught(controller.stop('nope', { by: 'ada', reason: 'x' }))).code).toBe('ROLLOUT_NOT_FOUND');
    });

    it('ends an A/B test between equal arms without a winner, promoting nothing', async () => {
      const reviewer = recordingReviewer();
      const controller = createCanaryController({ rollout, gate: recordingGate(), reviewer });
      const experiment = await controller.startAbTest({
        artifact: 'total_fares',
        arms: [
          { name: 'v3', version: 3 },
          { name: 'v4', version: 4 },
        ],
        stopRule: { kind: 'sequential', maxCallsPerArm: 1500 },
      });
      const random = seededRandom(8);
      let last: ControllerStep | undefined;
      for (let look = 0; look < 100 && (last === undefined || last.experiment.status === 'running'); look++) {
        traffic(rollout, 'total_fares', 100, { v3: 0.8, v4: 0.8 }, random);
        [last] = await controller.tick();
      }
      expect(last).toMatchObject({ action: 'ended-without-winner', experiment: { status: 'stopped', outcome: { result: 'no-winner' } } });
      expect(reviewer.proposals).toEqual([]);
      expect((await rollout.experiment(experiment.id))?.status).toBe('stopped');
    });

    it('ends an A/B test with a real winner by asking the reviewer to promote it', async () => {
      const reviewer = recordingReviewer();
      const controller = createCanaryController({ rollout, gate: recordingGate(), reviewer });
      await controller.startAbTest({
        artifact: 'total_fares',
        arms: [
          { name: 'v3', version: 3 },
          { name: 'v4', version: 4 },
        ],
        stopRule: { kind: 'sequential', maxCallsPerArm: 20_000 },
      });
      const random = seededRandom(9);
      let last: ControllerStep | undefined;
      for (let look = 0; look < 200 && (last === undefined || last.experiment.status === 'running'); look++) {
        traffic(rollout, 'total_fares', 100, { v3: 0.6, v4: 0.8 }, random);
        [last] = await controller.tick();
      }
      expect(last).toMatchObject({ action: 'promoted', experiment: { status: 'completed', outcome: { result: 'promoted', winner: 'v4' } } });
      expect(reviewer.proposals).toMatchObject([{ kind: 'promote-winner', fromVersion: 3, toVersion: 4, winner: { name: 'v4', version: 4 } }]);
    });
    it("a person's rejection ends the experiment: an A/B test stops with the control serving, a canary is rolled back to its baseline", async () => {
      const rejecting = { proposals: [] as unknown[], async review(proposal: unknown) {
        this.proposals.push(proposal);
        return { status: 'denied' as const, summary: 'A person rejected this change in request r-1.', rejectedByPerson: true };
      } };
      const gate = recordingGate();
      const controller = createCanaryController({ rollout, gate, reviewer: rejecting });
      const ab = await controller.startAbTest({ artifact: 'total_fares', arms: [{ name: 'v3', version: 3 }, { name: 'v4', version: 4 }], stopRule: { kind: 'sequential', maxCallsPerArm: 20_000 } });
      const random = seededRandom(9);
      let last: ControllerStep | undefined;
      for (let look = 0; look < 200 && (last === undefined || last.experiment.status === 'running'); look++) {
        traffic(rollout, 'total_fares', 100, { v3: 0.6, v4: 0.8 }, random);
        [last] = await controller.tick();
      }
      expect(last).toMatchObject({ action: 'stopped', experiment: { id: ab.id, status: 'stopped', outcome: { result: 'stopped' } } });
      expect(last?.reason).toMatch(/A person rejected promoting total_fares v4/);
      expect(rollout.serve('total_fares', 'any')).toBeUndefined();
      expect(rejecting.proposals).toHaveLength(1);
      const canary = await controller.startCanary({ artifact: 'total_fares', baseline: 3, candidate: 4 });
      const { steps } = await drive(rollout, controller, { baseline: 0.9, candidate: 0.97 }, 3);
      expect(steps.at(-1)).toMatchObject({ action: 'rolled-back', experiment: { id: canary.id, status: 'rolled-back' } });
      expect(gate.proposals.map((proposal) => proposal.change)).toEqual([{ kind: 'rollback', origin: 'agent', name: 'total_fares', fromVersion: 4, toVersion: 3 }]);
    });
  });
}
