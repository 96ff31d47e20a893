import type { Change, ToolManifest } from '@toolwright/core';
import { createRegistryWriter } from '@toolwright/registry/writer';
import { createSandbox, type IsolatedSandbox } from '@toolwright/sandbox';
import type { Database } from '@toolwright/store';
import type { Backend } from '@toolwright/store/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FASTER_SUM_SOURCE, openGate, snapshot, SUM_SOURCE, sumSpec, WRONG_SUM_SOURCE, type GateFixture } from './test-support/gate-fixture.js';

const NETWORK_SOURCE = "export default async function fares(): Promise<number> {\n  return (await (await fetch('https://fares.example/total')).json()).total;\n}\n";
const FASTER_NETWORK_SOURCE = "export default async function fares(): Promise<number> {\n  const response = await fetch('https://fares.example/total');\n  return (await response.json()).total;\n}\n";

function networkSpec(): ToolManifest {
  return { ...sumSpec('total_fares'), description: 'Total fares from the fares service.', capabilities: [{ kind: 'fetch', origins: ['https://fares.example'] }], examples: [] };
}

const widen = (name: string, overrides: Partial<Extract<Change, { kind: 'widen-rollout' }>> = {}): Change => ({
  kind: 'widen-rollout', origin: 'agent', name, experimentId: 'exp-1', version: 2, baselineVersion: 1, fromShare: 0.1, toShare: 0.5, ...overrides,
});
const promote = (name: string, overrides: Partial<Extract<Change, { kind: 'promote-version' }>> = {}): Change => ({
  kind: 'promote-version', origin: 'agent', name, fromVersion: 1, toVersion: 2, experimentId: 'exp-1', ...overrides,
});

/** The gate's handling of live-experiment changes, run against SQLite and PostgreSQL. */
export function describeRolloutChanges(backend: Backend<Database>): void {
  describe(`rollout changes through the gate on ${backend.name}`, () => {
    let sandbox: IsolatedSandbox;
    const open: GateFixture[] = [];
    beforeAll(() => {
      sandbox = createSandbox();
    });
    afterAll(async () => {
      await sandbox.dispose();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((fixture) => fixture.close()));
    });

    /** v1 active, v2 registered; `activeCandidate`: v2 active (a canary the gate promoted), v1 retired. */
    const start = async (tool: 'pure' | 'network', options: { activeCandidate?: boolean } = {}): Promise<GateFixture & { name: string }> => {
      const fixture = await openGate(backend, sandbox);
      open.push(fixture);
      const writer = await createRegistryWriter({ database: fixture.database });
      const name = tool === 'pure' ? 'sum_values' : 'total_fares';
      const spec = tool === 'pure' ? sumSpec() : networkSpec();
      const sources = tool === 'pure' ? [SUM_SOURCE, FASTER_SUM_SOURCE] : [NETWORK_SOURCE, FASTER_NETWORK_SOURCE];
      const author = { kind: 'person', id: 'setup' } as const;
      await writer.register({ kind: 'tool', name, source: sources[0] as string, spec, author, reason: 'v1', parent: null });
      await writer.promote(name, 1);
      await writer.register({ kind: 'tool', name, source: sources[1] as string, spec, author, reason: 'v2', parent: 1 });
      if (options.activeCandidate === true) await writer.promote(name, 2);
      return { ...fixture, name };
    };

    it("applies the agent's widening of a pure tool's canary: one audit entry with the shares, nothing changes in the registry", async () => {
      const fixture = await start('pure', { activeCandidate: true });
      const before = await snapshot(fixture);
      const outcome = await fixture.gate.propose(widen(fixture.name), { reason: 'not worse after 200 calls' });
      expect(outcome.status, outcome.summary).toBe('applied');
      expect(outcome.summary).toMatch(/serves 50 % of the calls \(was 10 %\)/);
      expect(await snapshot(fixture)).toEqual(before);
      const log = await fixture.memory.auditLog({ artifact: fixture.name });
      expect(log.map((entry) => entry.action)).toEqual(['widen-rollout.applied']);
      expect(log[0]).toMatchObject({ id: outcome.auditId, fromVersion: 1, toVersion: 2 });
      expect(log[0]?.evidence).toMatchObject({ kind: 'widen-rollout', decision: 'allow', experimentId: 'exp-1', fromShare: 0.1, toShare: 0.5, ledgerId: expect.any(String) });
    });

    it("queues a network tool's widening once, however often it is proposed; once approved, proposing it again answers applied", async () => {
      const fixture = await start('network', { activeCandidate: true });
      const first = await fixture.gate.propose(widen(fixture.name));
      expect(first.status, first.summary).toBe('queued');
      if (first.status !== 'queued') return;
      expect(first.decision.reasons.map((reason) => reason.detail).join(' ')).toMatch(/network tools need a person/);
      const again = await fixture.gate.propose(widen(fixture.name));
      expect(again.status === 'queued' && again.approvalId).toBe(first.approvalId);
      expect((await fixture.memory.auditLog({ artifact: fixture.name })).map((entry) => entry.action)).toEqual(['widen-rollout.queued']);
      const approved = await fixture.gate.applyApproved(first.approvalId, { by: 'ada' });
      expect(approved.status, approved.summary).toBe('applied');
      expect((await fixture.policy.approvals.get(first.approvalId))?.status).toBe('applied');
      const later = await fixture.gate.propose(widen(fixture.name));
      expect(later.status, later.summary).toBe('applied');
      expect(later.summary).toMatch(/Approved earlier/);
      expect((await fixture.memory.auditLog({ artifact: fixture.name })).map((entry) => entry.action)).toEqual(['widen-rollout.applied', 'widen-rollout.queued']) // newest first;
      // The next step is another change: it needs a person again.
      expect((await fixture.gate.propose(widen(fixture.name, { fromShare: 0.5, toShare: 1 }))).status).toBe('queued');
    });

    it('holds a widening a person rejected: proposed again, it is denied without a new request', async () => {
      const fixture = await start('network', { activeCandidate: true });
      const first = await fixture.gate.propose(widen(fixture.name));
      if (first.status !== 'queued') throw new Error(first.summary);
      expect((await fixture.gate.reject(first.approvalId, { by: 'ada', note: 'not now' })).status).toBe('denied');
      const again = await fixture.gate.propose(widen(fixture.name));
      expect(again.status).toBe('denied');
      expect(again.summary).toMatch(/rejected/);
      expect(await fixture.policy.approvals.list({ status: 'proposed' })).toEqual([]);
      expect((await fixture.registry.active(fixture.name))?.version).toBe(2);
    });

    it('promotes an A/B winner of a pure tool through the writer, with the review and the audit entry in one transaction; again, nothing changes', async () => {
      const fixture = await start('pure');
      const outcome = await fixture.gate.propose(promote(fixture.name), { reason: 'won the A/B test' });
      expect(outcome.status, outcome.summary).toBe('applied');
      expect(outcome.status === 'applied' && outcome.version?.version).toBe(2);
      expect((await fixture.registry.active(fixture.name))?.version).toBe(2);
      expect((await fixture.registry.get(fixture.name, 1))?.status).toBe('retired');
      const log = await fixture.memory.auditLog({ artifact: fixture.name });
      expect(log.map((entry) => entry.action)).toEqual(['promote-version.applied']);
      expect(log[0]?.evidence).toMatchObject({ experimentId: 'exp-1', registryChanges: expect.any(Array) });
      const changeIds = (await fixture.registry.changeLog(fixture.name)).map((change) => change.id);
      for (const id of log[0]?.evidence['registryChanges'] as string[]) expect(changeIds).toContain(id);
      const again = await fixture.gate.propose(promote(fixture.name));
      expect(again.status).toBe('applied');
      expect(again.summary).toMatch(/already active/);
      expect(await fixture.memory.auditLog({ artifact: fixture.name })).toHaveLength(1);
    });

    it("queues the promotion of a network tool, and a person's approval promotes it", async () => {
      const fixture = await start('network');
      const queued = await fixture.gate.propose(promote(fixture.name));
      expect(queued.status, queued.summary).toBe('queued');
      if (queued.status !== 'queued') return;
      expect((await fixture.registry.active(fixture.name))?.version).toBe(1);
      const applied = await fixture.gate.applyApproved(queued.approvalId, { by: 'ada' });
      expect(applied.status, applied.summary).toBe('applied');
      expect((await fixture.registry.active(fixture.name))?.version).toBe(2);
      expect((await fixture.memory.auditLog({ artifact: fixture.name })).map((entry) => entry.action)).toEqual(['promote-version.applied', 'promote-version.queued']) // newest first;
      expect((await fixture.gate.applyApproved(queued.approvalId, { by: 'ada' })).summary).toMatch(/already applied/);
    });

    it('denies both while the kill switch is on and on a pinned tool, writing nothing but the audit entry', async () => {
      const fixture = await start('pure');
      await fixture.policy.killSwitch.engage({ by: 'ada', reason: 'incident' });
      const before = await snapshot(fixture);
      for (const change of [widen(fixture.name), promote(fixture.name)]) {
        const outcome = await fixture.gate.propose(change);
        expect(outcome.status).toBe('denied');
        expect(outcome.status === 'denied' && outcome.decision.reasons.map((reason) => reason.rule)).toEqual(['kill-switch']);
      }
      expect(await snapshot(fixture)).toEqual(before);
      await fixture.policy.killSwitch.release({ by: 'ada', reason: 'resolved' });
      expect((await fixture.gate.propose({ kind: 'pin', origin: 'person', name: fixture.name }, { by: 'ada' })).status).toBe('applied');
      const pinned = await fixture.gate.propose(promote(fixture.name));
      expect(pinned.status === 'denied' && pinned.decision.reasons.map((reason) => reason.rule)).toEqual(['pinned']);
      expect((await fixture.registry.active(fixture.name))?.version).toBe(1);
    });

    it('fails with a coded error for an unknown version or a stale promotion, and writes nothing', async () => {
      const fixture = await start('pure');
      const before = await snapshot(fixture);
      const unknown = await fixture.gate.propose(widen(fixture.name, { version: 9 }));
      expect(unknown.status === 'failed' && unknown.error.code).toBe('REGISTRY_NOT_FOUND');
      const stale = await fixture.gate.propose(promote(fixture.name, { fromVersion: 3 }));
      expect(stale.status === 'failed' && stale.error.code).toBe('REGISTRY_INVALID_TRANSITION');
      expect(stale.summary).toMatch(/v1 is active now/);
      expect(await snapshot(fixture)).toEqual(before);
      expect(await fixture.memory.auditLog({ artifact: fixture.name })).toEqual([]);
    });
    it('promote-version of an unproven candidate is proven first / refused', async () => {
      const fixture = await start('pure');
      const writer = await createRegistryWriter({ database: fixture.database });
      const author = { kind: 'person', id: 'setup' } as const;
      // v3 fails the examples: an experiment id does not stand in for the regression run.
      await writer.register({ kind: 'tool', name: fixture.name, source: WRONG_SUM_SOURCE, spec: sumSpec(), author, reason: 'v3', parent: 1 });
      const wrong = await fixture.gate.propose(promote(fixture.name, { toVersion: 3, experimentId: 'no-such-experiment' }));
      expect(wrong.status, wrong.summary).toBe('denied');
      expect(wrong.status === 'denied' && wrong.decision.reasons.map((reason) => reason.rule)).toContain('regression-verdict');
      expect((await fixture.registry.active(fixture.name))?.version).toBe(1);
      // A candidate with nothing to prove it on is untested: a person decides, whatever experiment is named.
      const untestedSpec = { ...sumSpec(), examples: [] };
      await writer.register({ kind: 'tool', name: fixture.name, source: FASTER_SUM_SOURCE.replace('let total', 'let sum = 0; let total'), spec: untestedSpec, author, reason: 'v4', parent: 1 });
      const untested = await fixture.gate.propose(promote(fixture.name, { toVersion: 4 }));
      expect(untested.status, untested.summary).toBe('queued');
      expect(untested.status === 'queued' && untested.decision.reasons.map((reason) => reason.detail).join(' ')).toMatch(/no regression verdict/);
      // A candidate that waits for a person in another request is not promoted around it.
      const rewrite = await fixture.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: fixture.name, fromVersion: 1, spec: untestedSpec, source: FASTER_SUM_SOURCE.replace('let total', 'let n = 0; let total') });
      expect(rewrite.status, rewrite.summary).toBe('queued');
      const around = await fixture.gate.propose(promote(fixture.name, { toVersion: rewrite.status === 'queued' ? (rewrite.version?.version ?? 0) : 0 }));
      expect(around.status, around.summary).toBe('denied');
      expect(around.status === 'denied' && around.decision.reasons.map((reason) => reason.rule)).toEqual(['awaiting-approval']);
      // Nothing is active to replace: a promotion "over" a version that is not active is refused.
      const nothing = await fixture.gate.propose(promote(fixture.name, { fromVersion: 99, toVersion: 2 }));
      expect(nothing.status === 'failed' && nothing.error.code).toBe('REGISTRY_INVALID_TRANSITION');
      expect((await fixture.registry.active(fixture.name))?.version).toBe(1);
      // A candidate that passes is promoted with its verdict in the audit entry.
      const proven = await fixture.gate.propose(promote(fixture.name));
      expect(proven.status, proven.summary).toBe('applied');
      const entry = (await fixture.memory.auditLog({ artifact: fixture.name })).find((item) => item.id === proven.auditId);
      expect(entry?.evidence).toMatchObject({ verdict: { decision: 'promote' } });
    });

    it("an approved promote-version of a network tool is proven after the approval, with its capabilities, before it is applied", async () => {
      const fixture = await start('network');
      const writer = await createRegistryWriter({ database: fixture.database });
      // v3 has a case: it runs only once a person approved it (the fares service is unreachable here, so it fails).
      const withCase = { ...networkSpec(), examples: [{ input: { values: [1] }, output: 1 }] };
      await writer.register({ kind: 'tool', name: fixture.name, source: NETWORK_SOURCE.replace('total;', 'total ;'), spec: withCase, author: { kind: 'person', id: 'setup' }, reason: 'v3', parent: 1 });
      const queued = await fixture.gate.propose(promote(fixture.name, { toVersion: 3 }));
      expect(queued.status, queued.summary).toBe('queued');
      if (queued.status !== 'queued') return;
      expect(queued.verdict).toBeUndefined();
      const applied = await fixture.gate.applyApproved(queued.approvalId, { by: 'ada' });
      expect(applied.status, applied.summary).toBe('failed-regression');
      expect((await fixture.registry.active(fixture.name))?.version).toBe(1);
      expect((await fixture.registry.get(fixture.name, 3))?.status).toBe('rejected');
      expect((await fixture.policy.approvals.get(queued.approvalId))?.status).toBe('approved');
      expect((await fixture.memory.auditLog({ artifact: fixture.name })).map((entry) => entry.action)).toEqual(['promote-version.failed-regression', 'promote-version.queued']);
      const again = await fixture.gate.applyApproved(queued.approvalId, { by: 'ada' });
      expect(again.status).not.toBe('applied');
      expect((await fixture.registry.active(fixture.name))?.version).toBe(1);
    });

    it('an approved promote-version is not applied once what is in force moved on', async () => {
      const fixture = await start('network');
      const queued = await fixture.gate.propose(promote(fixture.name));
      if (queued.status !== 'queued') throw new Error(queued.summary);
      const writer = await createRegistryWriter({ database: fixture.database });
      await writer.register({ kind: 'tool', name: fixture.name, source: NETWORK_SOURCE.replace('total;', 'total ;'), spec: networkSpec(), author: { kind: 'person', id: 'setup' }, reason: 'v3', parent: 1 });
      await writer.promote(fixture.name, 3);
      const applied = await fixture.gate.applyApproved(queued.approvalId, { by: 'ada' });
      expect(applied.status, applied.summary).toBe('denied');
      expect(applied.status === 'denied' && applied.decision.reasons.map((reason) => reason.rule)).toEqual(['stale']);
      expect(applied.summary).toMatch(/v3 is active now/);
      expect((await fixture.registry.active(fixture.name))?.version).toBe(3);
      expect((await fixture.registry.get(fixture.name, 2))?.status).toBe('candidate');
      expect((await fixture.policy.approvals.get(queued.approvalId))?.status).toBe('proposed');
      expect((await fixture.memory.auditLog({ artifact: fixture.name })).map((entry) => entry.action)).toEqual(['promote-version.denied', 'promote-version.queued']);
    });

    it('a rollback from a version no longer active is denied as stale; a repeated rollback is applied once', async () => {
      const fixture = await start('pure', { activeCandidate: true });
      const writer = await createRegistryWriter({ database: fixture.database });
      await writer.register({ kind: 'tool', name: fixture.name, source: FASTER_SUM_SOURCE.replace('let total', 'let n = 0; let total'), spec: sumSpec(), author: { kind: 'person', id: 'setup' }, reason: 'v3', parent: 2 });
      await writer.promote(fixture.name, 3);
      const stale = await fixture.gate.propose({ kind: 'rollback', origin: 'agent', name: fixture.name, fromVersion: 2, toVersion: 1 });
      expect(stale.status, stale.summary).toBe('denied');
      expect(stale.status === 'denied' && stale.decision.reasons.map((reason) => reason.rule)).toEqual(['stale']);
      expect((await fixture.registry.active(fixture.name))?.version).toBe(3);
      const rollback = { kind: 'rollback', origin: 'agent', name: fixture.name, fromVersion: 3, toVersion: 1 } as const;
      expect((await fixture.gate.propose(rollback)).status).toBe('applied');
      const again = await fixture.gate.propose(rollback);
      expect(again.status, again.summary).toBe('applied');
      expect(again.summary).toMatch(/already active/);
      expect((await fixture.registry.active(fixture.name))?.version).toBe(1);
      expect((await fixture.memory.auditLog({ artifact: fixture.name })).map((entry) => entry.action)).toEqual(['rollback.applied', 'rollback.denied']);
    });
  });
}
