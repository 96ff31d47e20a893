import type { ToolManifest } from '@toolwright/core';
import { createGate, type Gate } from '@toolwright/gate';
import { createMemory, type MemoryStore } from '@toolwright/memory';
import { createRegistry, type RegistryStore } from '@toolwright/registry';
import { createRegressionRunner } from '@toolwright/regression';
import { createPolicy, type SafetyPolicy } from '@toolwright/safety-policy';
import { createSandbox, type IsolatedSandbox } from '@toolwright/sandbox';
import type { Database } from '@toolwright/store';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CanaryController, createCanaryController } from './canary-controller.js';
import { seededRandom } from './random.js';
import { createRollout, type Rollout } from './rollout.js';
import { type Backend, caught, type TestDatabase } from './test-support/backends.js';

const SUM = 'export default function sum({ values }: { values: number[] }): number {\n  return values.reduce((total, value) => total + value, 0);\n}\n';
const FASTER_SUM = 'export default function sum({ values }: { values: number[] }): number {\n  let total = 0;\n  for (const value of values) total += value;\n  return total;\n}\n';
const spec: ToolManifest = {
  name: 'sum_values',
  description: 'Sums a list of numbers.',
  inputSchema: { type: 'object', properties: { values: { type: 'array', items: { type: 'number' } } }, required: ['values'] },
  language: 'ts',
  capabilities: [],
  examples: [{ input: { values: [1, 2, 3] }, output: 6 }],
};

/**
 * The canary against the real one gate: registry, safety policy, memory's audit log and the
 * sandbox on one database. A worse canary's rollback is a real `rollback` change: the registry
 * serves the baseline again and the audit log holds the entry with the canary's evidence.
 */
export function describeCanaryThroughGate(backend: Backend<Database>): void {
  describe(`a canary through the real gate (${backend.name})`, () => {
    let sandbox: IsolatedSandbox;
    let database: TestDatabase<Database>;
    let memory: MemoryStore;
    let registry: RegistryStore;
    let policy: SafetyPolicy;
    let gate: Gate;
    let rollout: Rollout;
    let controller: CanaryController;
    beforeAll(() => {
      sandbox = createSandbox();
    });
    afterAll(async () => {
      await sandbox.dispose();
    });
    beforeEach(async () => {
      database = await backend.create();
      memory = await createMemory({ database: database.db });
      registry = await createRegistry({ database: database.db });
      policy = await createPolicy({ database: database.db, audit: memory });
      const regression = await createRegressionRunner({ sandbox, database: database.db });
      gate = await createGate({ database: database.db, registry, policy, memory, regression });
      expect((await gate.propose({ kind: 'create-tool', origin: 'person', name: 'sum_values', spec, source: SUM }, { by: 'ada' })).status).toBe('applied');
      const rewrite = await gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'sum_values', fromVersion: 1, spec, source: FASTER_SUM }, { reason: 'faster loop' });
      expect(rewrite.status, rewrite.summary).toBe('applied');
      rollout = await createRollout({ database: database.db, registry, random: seededRandom(31), flushIntervalMs: 0 });
      // No reviewer: widening goes through the gate as widen-rollout changes.
      controller = createCanaryController({ rollout, gate, policy });
    });
    afterEach(async () => {
      await rollout.close();
      await registry.close();
      await memory.close().catch(() => undefined);
      await database.cleanup();
    });

    it('rolls a worse canary back through the gate: the baseline is active again, audited with the evidence', async () => {
      const experiment = await controller.startCanary({ artifact: 'sum_values', baseline: 1, candidate: 2 });
      const random = seededRandom(32);
      let status = experiment.status;
      for (let look = 0; look < 100 && status === 'running'; look++) {
        for (let call = 0; call < 100; call++) {
          const assignment = rollout.serve('sum_values', `task-${look}-${call}`);
          if (assignment === undefined) break;
          rollout.record(assignment, { success: random() < (assignment.arm === 'candidate' ? 0.6 : 0.95), latencyMs: 5 });
        }
        const [step] = await controller.tick();
        status = step?.experiment.status ?? status;
      }
      expect(status).toBe('rolled-back');
      expect((await registry.active('sum_values'))?.version).toBe(1);
      const entry = (await memory.auditLog({ artifact: 'sum_values' })).find((candidate) => candidate.action === 'rollback.applied');
      expect(entry?.reason).toMatch(/Reason given: Canary .*success rate is below the baseline's \(candidate .* of .* calls/);
      const events = await rollout.events(experiment.id);
      expect(events.find((event) => event.event === 'rolled-back')?.data).toMatchObject({ gate: { status: 'applied', auditId: entry?.id } });
      expect(rollout.serve('sum_values', 'any')).toBeUndefined();
    });

    // The experiment's id is fixed: sticky assignment hashes it with the call key, so a random id
    // deals each run different calls to the candidate. With equal success rates, one run in ten
    // drew a candidate too unlucky to be shown not worse within 200 looks; the candidate is now a
    // little better, as the test's name says.
    it('widens a better canary through the gate (10 → 50 → 100 %), each step a reviewed and audited widen-rollout', async () => {
      const experiment = await controller.startCanary({ id: 'canary-widened', artifact: 'sum_values', baseline: 1, candidate: 2 });
      const random = seededRandom(33);
      const actions: string[] = [];
      let status = experiment.status;
      for (let look = 0; look < 200 && status === 'running'; look++) {
        for (let call = 0; call < 100; call++) {
          const assignment = rollout.serve('sum_values', `task-${look}-${call}`);
          if (assignment === undefined) break;
          rollout.record(assignment, { success: random() < (assignment.arm === 'candidate' ? 0.98 : 0.97), latencyMs: assignment.arm === 'candidate' ? 4 : 5 });
        }
        const [step] = await controller.tick();
        if (step !== undefined && step.action !== 'none') actions.push(step.action);
        status = step?.experiment.status ?? status;
      }
      expect({ status, actions }).toEqual({ status: 'completed', actions: ['widened', 'completed'] });
      expect((await registry.active('sum_values'))?.version).toBe(2);
      const widenings = (await memory.auditLog({ artifact: 'sum_values' })).filter((entry) => entry.action === 'widen-rollout.applied').reverse();
      expect(widenings.map((entry) => [entry.evidence['fromShare'], entry.evidence['toShare'], entry.evidence['experimentId']])).toEqual([
        [0.1, 0.5, experiment.id],
        [0.5, 1, experiment.id],
      ]);
      expect(widenings[0]?.reason).toMatch(/Reason given: Widen the canary of sum_values from 10 % to 50 %/);
      const events = await rollout.events(experiment.id);
      expect(events.find((event) => event.event === 'widened')?.data).toMatchObject({ review: { status: 'applied' } });
    });

    it('an experiment on a candidate that waits for a person: refused with the approval queue wired; without it, the gate does not promote around the request', async () => {
      const origin = 'https://fares.example';
      const networkPolicy = await createPolicy({ database: database.db, audit: memory, capabilities: { envelope: [{ kind: 'fetch', origins: [origin] }] } });
      const regression = await createRegressionRunner({ sandbox, database: database.db });
      const networkGate = await createGate({ database: database.db, registry, policy: networkPolicy, memory, regression });
      const fetching = (variant: string) => `export default async function quote(): Promise<number> {\n  const response = await fetch('${origin}/quote${variant}');\n  return (await response.json()).price;\n}\n`;
      const quoteSpec: ToolManifest = { ...spec, name: 'get_quote', description: 'A price from the quote service.', capabilities: [{ kind: 'fetch', origins: [origin] }], examples: [] };
      expect((await networkGate.propose({ kind: 'create-tool', origin: 'person', name: 'get_quote', spec: quoteSpec, source: fetching('') }, { by: 'ada' })).status).toBe('applied');
      const rewrite = await networkGate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'get_quote', fromVersion: 1, spec: quoteSpec, source: fetching('?fast=1') });
      expect(rewrite.status, rewrite.summary).toBe('queued');
      if (rewrite.status !== 'queued') return;
      expect((await registry.get('get_quote', 2))?.status).toBe('candidate');
      const arms = [{ name: 'v1', version: 1 }, { name: 'v2', version: 2 }];
      // Wired to the approval queue (as the umbrella does), the rollout refuses to serve it at all.
      const openRequest = async (artifact: string, version: number) =>
        (await networkPolicy.approvals.list({ name: artifact, status: ['proposed', 'approved'] })).find((request) => request.candidate?.version === version)?.id;
      const guarded = await createRollout({ database: database.db, registry, flushIntervalMs: 0, openRequest });
      expect((await caught(guarded.startAbTest({ artifact: 'get_quote', arms }))).code).toBe('ROLLOUT_UNFIT_VERSION');
      await guarded.close();
      const abController = createCanaryController({ rollout, gate: networkGate, policy: networkPolicy });
      await abController.startAbTest({ artifact: 'get_quote', arms, stopRule: { kind: 'sequential', maxCallsPerArm: 20_000 } });
      const random = seededRandom(34);
      let last: Awaited<ReturnType<CanaryController['tick']>>[number] | undefined;
      for (let look = 0; look < 200 && last?.action !== 'promotion-held'; look++) {
        for (let call = 0; call < 100; call++) {
          const assignment = rollout.serve('get_quote', `quote-${look}-${call}`);
          if (assignment === undefined) break;
          rollout.record(assignment, { success: random() < (assignment.arm === 'v2' ? 0.9 : 0.6), latencyMs: 20 });
        }
        [last] = await abController.tick();
      }
      expect(last?.action).toBe('promotion-held');
      expect(last?.reason).toMatch(new RegExp(`candidate of request ${rewrite.approvalId}, which waits for a person`));
      expect((await networkPolicy.approvals.list({ name: 'get_quote' })).filter((entry) => entry.change.kind === 'promote-version')).toEqual([]);
      expect((await registry.active('get_quote'))?.version).toBe(1);
      // The person decides on the request that carries v2; then the winner is in force and the test completes.
      expect((await networkGate.applyApproved(rewrite.approvalId, { by: 'ada' })).status).toBe('applied');
      expect((await abController.tick())[0]).toMatchObject({ action: 'promoted', experiment: { status: 'completed', outcome: { winner: 'v2' } } });
      const actions = (await memory.auditLog({ artifact: 'get_quote' })).map((entry) => entry.action);
      expect(actions.filter((action) => action.startsWith('promote-version'))).toEqual(['promote-version.denied']);
    });

    it("freezes at the baseline on the safety policy's kill switch, and refuses a pinned artifact", async () => {
      const experiment = await controller.startCanary({ artifact: 'sum_values', baseline: 1, candidate: 2, share: 0.5 });
      await policy.killSwitch.engage({ by: 'ada', reason: 'incident' });
      expect((await controller.tick())[0]).toMatchObject({ action: 'frozen' });
      expect(new Set(Array.from({ length: 50 }, (_, index) => rollout.serve('sum_values', `k${index}`)?.version))).toEqual(new Set([1]));
      await policy.killSwitch.release({ by: 'ada', reason: 'resolved' });
      expect((await controller.tick())[0]).toMatchObject({ action: 'resumed' });
      await controller.stop(experiment.id, { by: 'ada', reason: 'pinning instead' });
      expect((await registry.active('sum_values'))?.version).toBe(1);
      expect((await gate.propose({ kind: 'pin', origin: 'person', name: 'sum_values' }, { by: 'ada' })).status).toBe('applied');
      expect((await caught(controller.startCanary({ artifact: 'sum_values', baseline: 1, candidate: 2 }))).code).toBe('ROLLOUT_PINNED');
    });
  });
}
