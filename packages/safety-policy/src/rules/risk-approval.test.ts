import { describe, expect, it } from 'vitest';
import { createTool, fetchSource, fetchTo, rewriteTool, rulesOf, sectionVersion, toolVersion, verdict } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, useTestStore } from '../test-support/fixture.js';

const API = 'https://api.example.com';
const ENVELOPE = { capabilities: { envelope: [fetchTo(API)] } };
const networkTool = createTool('rates', { capabilities: [fetchTo(API)], source: fetchSource(`${API}/rates`) });
const promptChange = { kind: 'change-prompt-section', origin: 'agent', name: 'style', fromVersion: 1, text: 'Be brief.' } as const;

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`risk-based approval (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('allows a pure tool that passed regression', async () => {
      const decision = await (await policyOn(store())).review(createTool('sum_values'), { now: 1, verdict: verdict('sum_values') });
      expect(decision).toMatchObject({ outcome: 'allow', reasons: [{ rule: 'risk-approval', detail: expect.stringMatching(/passed regression \(3\/3 cases\)/) }] });
    });

    it('sends an untested tool to a person, or denies it with untestedTool: deny', async () => {
      const queued = await (await policyOn(store())).review(createTool('sum_values'), { now: 1 });
      expect(queued.outcome).toBe('needs-approval');
      expect(queued.reasons[0]?.detail).toMatch(/no regression verdict/);
      const denied = await (await policyOn(store(), { approval: { untestedTool: 'deny' } })).review(createTool('sum_values_2'), { now: 2 });
      expect(denied.outcome).toBe('deny');
      expect(rulesOf(denied)).toEqual(['risk-approval']);
    });

    it('sends a network tool to a person even when it passed regression, unless approval.network says otherwise', async () => {
      const queued = await (await policyOn(store(), ENVELOPE)).review(networkTool, { now: 1, verdict: verdict('rates') });
      expect(queued.outcome).toBe('needs-approval');
      expect(rulesOf(queued)).toEqual(['risk-approval']);
      expect((await (await policyOn(store(), { ...ENVELOPE, approval: { network: 'allow' } })).review(networkTool, { now: 2, verdict: verdict('rates') })).outcome).toBe(
        'allow',
      );
      expect((await (await policyOn(store(), { ...ENVELOPE, approval: { network: 'deny' } })).review(networkTool, { now: 3, verdict: verdict('rates') })).outcome).toBe(
        'deny',
      );
    });

    it('lists every reason a change needs a person', async () => {
      const decision = await (await policyOn(store(), ENVELOPE)).review(networkTool, { now: 1 });
      expect(decision.outcome).toBe('needs-approval');
      expect(rulesOf(decision)).toEqual(['risk-approval', 'risk-approval']);
    });

    it('denies a tool change whose verdict rejects it, is about another tool, or contradicts itself', async () => {
      const policy = await policyOn(store());
      const context = { now: 1, current: toolVersion('sum_values') };
      const rejected = await policy.review(rewriteTool('sum_values'), { ...context, verdict: verdict('sum_values', { decision: 'reject', reasons: ['case-2 regressed.'] }) });
      expect(rulesOf(rejected)).toEqual(['regression-verdict']);
      expect(rejected.reasons[0]?.detail).toMatch(/rejected "sum_values": case-2 regressed\./);
      expect(rulesOf(await policy.review(rewriteTool('sum_values'), { ...context, verdict: verdict('other') }))).toEqual(['regression-verdict']);
      const inconsistent = verdict('sum_values', { cases: [{}, { candidatePass: false, candidateMs: 3 }] });
      expect(rulesOf(await policy.review(rewriteTool('sum_values'), { ...context, verdict: inconsistent }))).toEqual(['regression-verdict']);
    });

    it('sends any prompt change to a person by default; approval.promptChange configures it', async () => {
      const queued = await (await policyOn(store())).review(promptChange, { now: 1, current: sectionVersion('style', 'Be kind.') });
      expect(queued.outcome).toBe('needs-approval');
      expect(queued.reasons[0]?.detail).toMatch(/prompt changes need a person/);
      expect((await (await policyOn(store(), { approval: { promptChange: 'allow' } })).review(promptChange, { now: 2 })).outcome).toBe('allow');
    });

    it('allows a tool rollback by default but sends a prompt-section rollback to a person', async () => {
      const policy = await policyOn(store());
      const tool = await policy.review({ kind: 'rollback', origin: 'agent', name: 'sum_values', fromVersion: 3, toVersion: 2 }, { now: 1, current: toolVersion('sum_values', { version: 3 }) });
      expect(tool.outcome).toBe('allow');
      const prompt = await policy.review(
        { kind: 'rollback', origin: 'agent', name: 'style', fromVersion: 3, toVersion: 2 },
        { now: 2, current: sectionVersion('style', 'Be kind.', { version: 3 }) },
      );
      expect(prompt.outcome).toBe('needs-approval');
      expect((await (await policyOn(store(), { approval: { rollback: 'needs-approval' } })).review({ kind: 'rollback', origin: 'agent', name: 'x', fromVersion: 2, toVersion: 1 }, { now: 3 })).outcome).toBe(
        'needs-approval',
      );
    });

    it('allows what a person proposes (the deny rules still apply to them)', async () => {
      const decision = await (await policyOn(store())).review({ ...promptChange, origin: 'person' }, { now: 1 });
      expect(decision).toMatchObject({ outcome: 'allow', reasons: [{ rule: 'risk-approval', detail: expect.stringMatching(/person/) }] });
    });

    it('sends an agent\'s bundle import to a person and lets a person import, recording what the bundle carries', async () => {
      const policy = await policyOn(store());
      const bundle = { kind: 'import-bundle', bundleHash: 'd'.repeat(64), names: ['rates', 'style'] } as const;
      const queued = await policy.review({ ...bundle, origin: 'agent' }, { now: 1 });
      expect(queued.outcome).toBe('needs-approval');
      expect(rulesOf(queued)).toEqual(['risk-approval']);
      expect(queued.reasons[0]?.detail).toMatch(/import bundle dddddddddddd… \(2 artifact\(s\): rates, style\): imports need a person/);
      expect(await policy.approvals.get(queued.approvalId ?? '')).toMatchObject({ change: { ...bundle, origin: 'agent' }, evidence: {} });
      const allowed = await policy.review({ ...bundle, origin: 'person' }, { now: 2 });
      expect(allowed.outcome).toBe('allow');
      expect(rulesOf(allowed)).toEqual(['risk-approval']);
      expect(await store().effectiveRows()).toBe(1);
    });
  });
}
