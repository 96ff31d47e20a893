import { generateKeyPairSync } from 'node:crypto';
import { AUDIT_ACTIONS, contentHash, type Change } from '@toolwright/core';
import { createRegistry } from '@toolwright/registry';
import { createPolicy } from '@toolwright/safety-policy';
import { createSandbox, type IsolatedSandbox } from '@toolwright/sandbox';
import type { Database } from '@toolwright/store';
import { terminateWhileBlocked, type Backend } from '@toolwright/store/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGate } from './create-gate.js';
import { createSum, FASTER_SUM_SOURCE, openGate, snapshot, sumSpec, WRONG_SUM_SOURCE, type GateFixture } from './test-support/gate-fixture.js';

/** The gate's behaviour, run against SQLite (gate.test.ts) and PostgreSQL (gate.int.test.ts). */
export function describeGate(backend: Backend<Database>): void {
  describe(`the gate on ${backend.name}`, () => {
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
    const start = async (policy: Parameters<typeof openGate>[2] = {}): Promise<GateFixture> => {
      const fixture = await openGate(backend, sandbox, policy);
      open.push(fixture);
      return fixture;
    };

    it('applies a tested, allowed tool: active, examples stored, one audit entry referencing the ledger and the registry rows', async () => {
      const { gate, registry, regression, memory } = await start();
      const outcome = await gate.propose(createSum('agent'), { author: { kind: 'model', id: 'test-model' }, reason: 'sum numbers' });
      expect(outcome.status, outcome.summary).toBe('applied');
      if (outcome.status !== 'applied') return;
      expect(outcome.version?.status).toBe('active');
      expect((await registry.active('sum_values'))?.version).toBe(outcome.version?.version);
      expect(await regression.cases('sum_values')).toHaveLength(2);
      const log = await memory.auditLog({ artifact: 'sum_values' });
      expect(log.map((entry) => entry.action)).toEqual(['create-tool.applied']);
      expect(log[0]?.id).toBe(outcome.auditId);
      expect(log[0]?.evidence).toMatchObject({ kind: 'create-tool', decision: 'allow', ledgerId: expect.any(String), registryChanges: expect.any(Array) });
      const changeIds = (await registry.changeLog('sum_values')).map((change) => change.id);
      for (const id of log[0]?.evidence['registryChanges'] as string[]) expect(changeIds).toContain(id);
      expect(AUDIT_ACTIONS[log[0]?.action as keyof typeof AUDIT_ACTIONS]).toBeDefined();
    });

    it('rejects a candidate that fails its examples, and refuses the same content again with the original reason', async () => {
      const { gate, registry } = await start();
      const first = await gate.propose(createSum('agent', WRONG_SUM_SOURCE));
      expect(first.status).toBe('failed-regression');
      expect(first.status === 'failed-regression' && first.version.status).toBe('rejected');
      expect(await registry.active('sum_values')).toBeUndefined();
      const again = await gate.propose(createSum('agent', WRONG_SUM_SOURCE));
      expect(again.status).toBe('denied');
      expect(again.status === 'denied' && again.decision.reasons[0]?.rule).toBe('rejected-before');
      expect(again.summary).toMatch(/rejected before/);
      expect((await registry.history('sum_values')).map((version) => version.status)).toEqual(['rejected']);
    });

    it('is idempotent: the same active content proposed again changes nothing', async () => {
      const { gate, registry } = await start();
      expect((await gate.propose(createSum('agent'))).status).toBe('applied');
      const before = await registry.changeLog('sum_values');
      const again = await gate.propose(createSum('agent'));
      expect(again.status).toBe('applied');
      expect(again.summary).toMatch(/already active/);
      expect(await registry.changeLog('sum_values')).toEqual(before);
    });

    it('refuses a rewrite from a version that is no longer the active one', async () => {
      const { gate } = await start();
      expect((await gate.propose(createSum('agent'))).status).toBe('applied');
      const stale: Change = { kind: 'rewrite-tool', origin: 'agent', name: 'sum_values', fromVersion: 7, spec: sumSpec(), source: FASTER_SUM_SOURCE };
      const outcome = await gate.propose(stale);
      expect(outcome.status).toBe('failed');
      expect(outcome.status === 'failed' && outcome.error.code).toBe('INVALID_ARGUMENT');
    });

    it('queues a change that needs a person, applies it once on approval, and a retry changes nothing', async () => {
      const { gate, registry, policy, memory } = await start({ approval: { promptChange: 'needs-approval' } });
      const change: Change = { kind: 'change-prompt-section', origin: 'agent', name: 'style', fromVersion: undefined, text: 'Answer in one sentence.' };
      const queued = await gate.propose(change);
      expect(queued.status).toBe('queued');
      if (queued.status !== 'queued') return;
      expect(await registry.active('style')).toBeUndefined();
      expect((await policy.approvals.get(queued.approvalId))?.candidate).toMatchObject({ name: 'style', version: queued.version?.version });

      const applied = await gate.applyApproved(queued.approvalId, { by: 'ada' });
      expect(applied.status, applied.summary).toBe('applied');
      expect((await registry.active('style'))?.source).toBe('Answer in one sentence.');
      expect((await policy.approvals.get(queued.approvalId))?.status).toBe('applied');

      const retried = await gate.applyApproved(queued.approvalId, { by: 'ada' });
      expect(retried.status).toBe('applied');
      expect((await registry.changeLog('style')).filter((entry) => entry.type === 'promoted')).toHaveLength(1);
      // The audit log lists newest first.
      expect((await memory.auditLog({ artifact: 'style' })).map((entry) => entry.action)).toEqual(['change-prompt-section.applied', 'change-prompt-section.queued']);
    });

    it('a person rejects a queued change: the request and its candidate are rejected together', async () => {
      const { gate, registry, policy } = await start();
      const queued = await gate.propose({ kind: 'change-prompt-section', origin: 'agent', name: 'style', fromVersion: undefined, text: 'Be brief.' });
      if (queued.status !== 'queued') throw new Error(queued.summary);
      const rejected = await gate.reject(queued.approvalId, { by: 'ada', note: 'not our voice' });
      expect(rejected.status).toBe('denied');
      expect((await policy.approvals.get(queued.approvalId))?.status).toBe('rejected');
      expect((await registry.history('style')).map((version) => version.status)).toEqual(['rejected']);
      expect((await gate.applyApproved(queued.approvalId, { by: 'ada' })).status).toBe('denied');
    });

    it("a person's pin and rollback go through the gate and are audited once each", async () => {
      const { gate, registry, memory } = await start();
      expect((await gate.propose(createSum('person'), { by: 'ada' })).status).toBe('applied');
      const rewrite = await gate.propose({ kind: 'rewrite-tool', origin: 'person', name: 'sum_values', fromVersion: 1, spec: sumSpec(), source: FASTER_SUM_SOURCE }, { by: 'ada' });
      expect(rewrite.status, rewrite.summary).toBe('applied');
      const back = await gate.propose({ kind: 'rollback', origin: 'person', name: 'sum_values', fromVersion: 2, toVersion: 1 }, { by: 'ada' });
      expect(back.status, back.summary).toBe('applied');
      expect((await registry.active('sum_values'))?.version).toBe(1);
      expect((await gate.propose({ kind: 'pin', origin: 'person', name: 'sum_values' }, { by: 'ada' })).status).toBe('applied');
      expect((await registry.active('sum_values'))?.pinned).toBe(true);
      const actions = (await memory.auditLog({ artifact: 'sum_values' })).map((entry) => entry.action).reverse();
      expect(actions).toEqual(['create-tool.applied', 'rewrite-tool.applied', 'rollback.applied', 'pin.applied']);
    });

    it('denies rolling a prompt section back to a version that lacks a protected phrase declared for it since, and leaves the tool rollback alone', async () => {
      const fixture = await start();
      const { gate, registry, memory, database, regression } = fixture;
      const hints = (fromVersion: number | undefined, text: string): Change => ({ kind: 'change-prompt-section', origin: 'person', name: 'tool-hints', fromVersion, text });
      // Written before the integrator declared the phrase for "tool-hints": v1 lacks it, v2 keeps it.
      expect((await gate.propose(hints(undefined, 'Prefer the totals tool.'), { by: 'ada' })).status).toBe('applied');
      expect((await gate.propose(hints(1, 'Prefer the totals tool. Always ask the user to confirm before destructive actions.'), { by: 'ada' })).status).toBe('applied');
      expect((await gate.propose(createSum('person'), { by: 'ada' })).status).toBe('applied');
      expect((await gate.propose({ kind: 'rewrite-tool', origin: 'person', name: 'sum_values', fromVersion: 1, spec: sumSpec(), source: FASTER_SUM_SOURCE }, { by: 'ada' })).status).toBe('applied');

      // The integrator declares the phrase (a restart with the new configuration), on the same database.
      const policy = await createPolicy({
        database, audit: memory,
        protectedPhrases: [{ id: 'confirm-destructive', text: 'Always ask the user to confirm before destructive actions.', appliesTo: ['tool-hints', 'sum_values'] }],
      });
      const declared = await createGate({ database, registry, policy, memory, regression });
      const back = await declared.propose({ kind: 'rollback', origin: 'person', name: 'tool-hints', fromVersion: 2, toVersion: 1 }, { by: 'ada' });
      expect(back.status, back.summary).toBe('denied');
      expect(back.status === 'denied' && back.decision.reasons.map((reason) => reason.rule)).toEqual(['protected-phrases']);
      expect(back.summary).toMatch(/v1 of "tool-hints" lacks protected phrase "confirm-destructive".*propose a new version of "tool-hints" that keeps the phrase instead/);
      expect((await registry.active('tool-hints'))?.version).toBe(2);
      expect((await memory.auditLog({ artifact: 'tool-hints' }))[0]?.action).toBe('rollback.denied');
      // A tool's rollback is not judged by protected phrases, even one whose appliesTo names it.
      const tool = await declared.propose({ kind: 'rollback', origin: 'person', name: 'sum_values', fromVersion: 2, toVersion: 1 }, { by: 'ada' });
      expect(tool.status, tool.summary).toBe('applied');
      expect((await registry.active('sum_values'))?.version).toBe(1);
    });

    it('rechecks a queued section rollback against its target when a person approves it: a phrase declared since denies it', async () => {
      const { gate, registry, memory, database, regression } = await start({ approval: { rollback: 'needs-approval' } });
      const hints = (fromVersion: number | undefined, text: string): Change => ({ kind: 'change-prompt-section', origin: 'person', name: 'tool-hints', fromVersion, text });
      expect((await gate.propose(hints(undefined, 'Prefer the totals tool.'), { by: 'ada' })).status).toBe('applied');
      expect((await gate.propose(hints(1, 'Prefer the totals tool. Always ask the user to confirm before destructive actions.'), { by: 'ada' })).status).toBe('applied');
      const queued = await gate.propose({ kind: 'rollback', origin: 'agent', name: 'tool-hints', fromVersion: 2, toVersion: 1 }, { reason: 'success dropped' });
      expect(queued.status, queued.summary).toBe('queued');
      if (queued.status !== 'queued') return;
      // The integrator declares the phrase before anyone approves; the approval rechecks v1's text.
      const policy = await createPolicy({
        database, audit: memory, approval: { rollback: 'needs-approval' },
        protectedPhrases: [{ id: 'confirm-destructive', text: 'Always ask the user to confirm before destructive actions.', appliesTo: ['tool-hints'] }],
      });
      const declared = await createGate({ database, registry, policy, memory, regression });
      const applied = await declared.applyApproved(queued.approvalId, { by: 'grace' });
      expect(applied.status, applied.summary).not.toBe('applied');
      expect(applied.summary).toMatch(/v1 of "tool-hints" lacks protected phrase "confirm-destructive"/);
      expect((await registry.active('tool-hints'))?.version).toBe(2);
      // A rollback to a version that does not exist is not queued for anyone: it fails, saying so.
      const requests = (await policy.approvals.list({ name: 'tool-hints' })).length;
      const missing = await declared.propose({ kind: 'rollback', origin: 'agent', name: 'tool-hints', fromVersion: 2, toVersion: 7 });
      expect(missing.status === 'failed' && missing.error.code).toBe('REGISTRY_NOT_FOUND');
      expect(await policy.approvals.list({ name: 'tool-hints' })).toHaveLength(requests);
    });

    it('keeps the learned-rule cap in the registry: the oldest agent rule is retired there, in the same transaction', async () => {
      const { gate, registry, policy } = await start({ learnedRules: { max: 1 }, approval: { learnedRule: 'allow' } });
      for (const text of ['Check the units of every fare.', 'Prefer nonstop flights when asked for the fastest.', 'Round money to cents.']) {
        const outcome = await gate.propose({ kind: 'add-learned-rule', origin: 'agent', name: `learned.${text.length}`, text });
        expect(outcome.status, outcome.summary).toBe('applied');
      }
      const inForce = (await registry.list({ kind: 'prompt-section', status: 'active' })).filter((version) => version.name.startsWith('learned.'));
      expect(inForce.map((version) => version.source)).toEqual(['Round money to cents.']);
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(inForce.map((version) => version.name));
    });

    it('a kill switch engaged after queueing stops the apply: the request stays open and nothing changes', async () => {
      const fixture = await start();
      const queued = await fixture.gate.propose({ kind: 'change-prompt-section', origin: 'agent', name: 'style', fromVersion: undefined, text: 'Be brief.' });
      if (queued.status !== 'queued') throw new Error(queued.summary);
      await fixture.policy.killSwitch.engage({ by: 'ada', reason: 'incident' });
      const before = await snapshot(fixture);
      const outcome = await fixture.gate.applyApproved(queued.approvalId, { by: 'grace' });
      expect(outcome.status).toBe('denied');
      expect(await snapshot(fixture)).toEqual(before);
      expect((await fixture.policy.approvals.get(queued.approvalId))?.status).toBe('proposed');
    });

    it('on PostgreSQL, survives its connection terminated mid-promote: the unit runs again, the tool is applied and audited once', async ({ skip }) => {
      if (backend.name !== 'postgres') skip();
      const fixture = await start();
      // The audit entry is the unit's last write: the promotion is in flight when it blocks.
      const { result, terminated } = await terminateWhileBlocked(await fixture.test.open(), 'memory_audit', () => fixture.gate.propose(createSum('agent')));
      expect(terminated).toBeGreaterThan(0);
      expect(result.status).toBe('fulfilled');
      const outcome = result.status === 'fulfilled' ? result.value : undefined;
      expect(outcome?.status, outcome?.summary).toBe('applied');
      expect((await fixture.registry.active('sum_values'))?.version).toBe(1);
      expect((await fixture.registry.changeLog('sum_values')).filter((entry) => entry.type === 'promoted')).toHaveLength(1);
      expect((await fixture.memory.auditLog({ artifact: 'sum_values' })).map((entry) => entry.action)).toEqual(['create-tool.applied']);
    });

    it('on PostgreSQL, survives its connection terminated mid-review: the unit runs again and the change is reviewed, applied and audited once', async ({ skip }) => {
      if (backend.name !== 'postgres') skip();
      const fixture = await start();
      expect((await fixture.gate.propose(createSum('person'), { by: 'ada' })).status).toBe('applied');
      // The policy's review takes its lock first, writing to toolwright_policy_state inside the
      // gate's unit; reads of that table (the assessment before the unit) go through.
      const { result, terminated } = await terminateWhileBlocked(
        await fixture.test.open(),
        'toolwright_policy_state',
        () => fixture.gate.propose({ kind: 'pin', origin: 'person', name: 'sum_values' }, { by: 'ada' }),
        { mode: 'exclusive' },
      );
      expect(terminated).toBeGreaterThan(0);
      const outcome = result.status === 'fulfilled' ? result.value : undefined;
      expect(outcome?.status, outcome?.summary).toBe('applied');
      expect((await fixture.registry.active('sum_values'))?.pinned).toBe(true);
      expect((await fixture.memory.auditLog({ artifact: 'sum_values' })).map((entry) => entry.action)).toEqual(['pin.applied', 'create-tool.applied']);
    });

    it('on PostgreSQL, a connection that keeps dropping fails the change with STORAGE_UNREACHABLE and applies nothing', async ({ skip }) => {
      if (backend.name !== 'postgres') skip();
      const fixture = await start();
      expect((await fixture.gate.propose(createSum('person'), { by: 'ada' })).status).toBe('applied');
      const before = await snapshot(fixture);
      // The first attempt and both retries of the unit are terminated.
      const { result, terminated } = await terminateWhileBlocked(
        await fixture.test.open(),
        'toolwright_policy_state',
        () => fixture.gate.propose({ kind: 'pin', origin: 'person', name: 'sum_values' }, { by: 'ada' }),
        { mode: 'exclusive', times: 3 },
      );
      expect(terminated).toBe(3);
      const outcome = result.status === 'fulfilled' ? result.value : undefined;
      if (outcome === undefined) throw new Error('the gate rejected instead of returning an outcome');
      expect(outcome.status).toBe('failed');
      expect(outcome.status === 'failed' && outcome.error.code).toBe('STORAGE_UNREACHABLE');
      expect(await snapshot(fixture)).toEqual(before);
    });

    it('with a bundlePublicKey, imports only bundles signed with its key: an altered, re-sealed one and an unsigned one are refused and write nothing', async () => {
      const keys = generateKeyPairSync('ed25519');
      const source = await start();
      expect((await source.gate.propose(createSum('person'), { by: 'ada' })).status).toBe('applied');
      const signer = await createRegistry({ database: source.database, bundleSigningKey: keys.privateKey });
      const signed = await signer.exportBundle();
      await signer.close();
      const target = await start();
      const gate = await createGate({ database: target.database, registry: target.registry, policy: target.policy, memory: target.memory, regression: target.regression, bundlePublicKey: keys.publicKey });

      // Altered with every hash recomputed, as anyone can: only the signature tells.
      const tampered = JSON.parse(JSON.stringify(signed)) as { -readonly [K in keyof typeof signed]: (typeof signed)[K] } & { versions: Record<string, unknown>[] };
      const first = tampered.versions[0] as Record<string, unknown>;
      first['source'] = 'export default function sum(): number {\n  return 0;\n}\n';
      first['contentHash'] = contentHash({ kind: first['kind'], name: first['name'], source: first['source'], spec: first['spec'] } as never);
      tampered.bundleHash = contentHash({ format: tampered.format, formatVersion: tampered.formatVersion, exportedAt: tampered.exportedAt, versions: tampered.versions } as never);
      const { signature: _signature, ...unsigned } = signed;

      const before = await snapshot(target);
      const altered = await gate.importBundle(tampered, { by: 'ada' });
      expect(altered.status === 'failed' && altered.error.code).toBe('REGISTRY_BUNDLE_INVALID');
      const bare = await gate.importBundle(unsigned, { by: 'ada' });
      expect(bare.status === 'failed' && bare.error.code).toBe('REGISTRY_BUNDLE_UNSIGNED');
      const proposed = await gate.propose({ kind: 'import-bundle', origin: 'person', bundleHash: tampered.bundleHash, names: ['sum_values'] }, { by: 'ada', bundle: tampered } as never);
      expect(proposed.status === 'failed' && proposed.error.code).toBe('REGISTRY_BUNDLE_INVALID');
      expect(await snapshot(target)).toEqual(before);

      const imported = await gate.importBundle(signed, { by: 'ada' });
      expect(imported.status, imported.summary).toBe('applied');
    });

    it('refuses approvals by the agent or by the proposer', async () => {
      const { gate, registry } = await start();
      const queued = await gate.propose({ kind: 'change-prompt-section', origin: 'agent', name: 'style', fromVersion: undefined, text: 'Be brief.' });
      if (queued.status !== 'queued') throw new Error(queued.summary);
      const byAgent = await gate.applyApproved(queued.approvalId, { by: 'agent' });
      expect(byAgent.status).toBe('failed');
      expect(byAgent.status === 'failed' && byAgent.error.code).toBe('POLICY_APPROVER_REFUSED');
      expect(await registry.active('style')).toBeUndefined();
    });
  });
}
