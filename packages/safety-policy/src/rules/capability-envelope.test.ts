import { describe, expect, it } from 'vitest';
import { createTool, fetchSource, fetchTo, rewriteTool, rulesOf, toolVersion, verdict } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, useTestStore } from '../test-support/fixture.js';

const API = 'https://api.example.com';
const OTHER = 'https://other.example';
const ENVELOPE = { capabilities: { envelope: [fetchTo(API)] } };
const networkTool = (name: string, ...origins: string[]) =>
  createTool(name, { capabilities: [fetchTo(...origins)], source: fetchSource(`${origins[0] ?? API}/v1`) });

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`capability envelope (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('denies any capability by default: the envelope starts empty', async () => {
      const policy = await policyOn(store());
      const decision = await policy.review(networkTool('rates', API), { now: 1, verdict: verdict('rates') });
      expect(rulesOf(decision)).toEqual(['capability-envelope']);
      expect(await policy.envelope()).toEqual([]);
    });

    it('sends a tool inside the envelope to a person, and denies one that reaches any origin outside it (a person too)', async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const inside = await policy.review(networkTool('rates', API), { now: 1, verdict: verdict('rates') });
      expect(inside.outcome).toBe('needs-approval');
      expect(rulesOf(inside)).toEqual(['risk-approval']);
      const partly = await policy.review(createTool('rates_2', { capabilities: [fetchTo(API, OTHER)], source: fetchSource(`${API}/v1`) }), {
        now: 2,
        verdict: verdict('rates_2'),
      });
      expect(rulesOf(partly)).toEqual(['capability-envelope']);
      expect(partly.reasons[0]?.detail).toMatch(/fetch to https:\/\/other\.example, outside/);
      expect(rulesOf(await policy.review(networkTool('rates_3', OTHER), { now: 3 }))).toEqual(['capability-envelope']);
      expect(rulesOf(await policy.review({ ...networkTool('rates_4', OTHER), origin: 'person' }, { now: 4 }))).toEqual(['capability-envelope']);
    });

    it('scans sources for network use the manifest does not declare, unless scanSource is off', async () => {
      const sneaky = rewriteTool('sum_values', { source: 'export default async () => { const r = new XMLHttpRequest(); return 1; };' });
      const context = { now: 1, current: toolVersion('sum_values'), verdict: verdict('sum_values') };
      expect(rulesOf(await (await policyOn(store(), ENVELOPE)).review(sneaky, context))).toEqual(['capability-envelope']);
      const unscanned = await policyOn(store(), { capabilities: { envelope: [fetchTo(API)], scanSource: false } });
      expect((await unscanned.review(sneaky, { ...context, now: 2 })).outcome).toBe('allow');
    });

    it('lets a pure tool mention a URL (it cannot call it), but not a network tool name an undeclared origin', async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const linker = createTool('link_to_docs', { source: "export default () => 'https://docs.example.com/help';" });
      expect((await policy.review(linker, { now: 1, verdict: verdict('link_to_docs') })).outcome).toBe('allow');
      const exfiltrating = createTool('rates', { capabilities: [fetchTo(API)], source: `export default async () => fetch('${API}/x?to=' + 'https://evil.example');` });
      expect(rulesOf(await policy.review(exfiltrating, { now: 2, verdict: verdict('rates') }))).toEqual(['capability-envelope']);
    });

    it('never widens the envelope automatically: the agent is denied by default, or queued with agentGrant: needs-approval', async () => {
      const grant = { kind: 'grant-capability', origin: 'agent', capability: fetchTo(OTHER) } as const;
      expect(rulesOf(await (await policyOn(store(), ENVELOPE)).review(grant, { now: 1 }))).toEqual(['envelope-widening']);
      const queued = await (await policyOn(store(), { ...ENVELOPE, approval: { agentGrant: 'needs-approval' } })).review(grant, { now: 2 });
      expect(queued.outcome).toBe('needs-approval');
      expect(rulesOf(queued)).toEqual(['envelope-widening']);
    });

    it('widens the envelope once a person approves the grant and it is applied', async () => {
      const policy = await policyOn(store(), { ...ENVELOPE, approval: { agentGrant: 'needs-approval' } });
      const queued = await policy.review({ kind: 'grant-capability', origin: 'agent', capability: fetchTo(OTHER) }, { now: 1 });
      expect(rulesOf(await policy.review(networkTool('other_rates', OTHER), { now: 2 }))).toEqual(['capability-envelope']);
      await policy.approvals.approve(queued.approvalId ?? '', { by: 'ana' });
      expect(await policy.envelope()).toEqual([fetchTo(API)]);
      await policy.approvals.markApplied(queued.approvalId ?? '', { by: 'cycle' });
      expect(await policy.envelope()).toEqual([fetchTo(API), fetchTo(OTHER)]);
      const now = await policy.review(networkTool('other_rates', OTHER), { now: 3, verdict: verdict('other_rates') });
      expect(now.outcome).toBe('needs-approval');
      expect(rulesOf(now)).toEqual(['risk-approval']);
    });

    it("allows a person's grant at once, and a grant already inside the envelope changes nothing", async () => {
      const policy = await policyOn(store(), ENVELOPE);
      const person = await policy.review({ kind: 'grant-capability', origin: 'person', capability: fetchTo(OTHER) }, { now: 1 });
      expect(person.outcome).toBe('allow');
      expect(rulesOf(person)).toEqual(['envelope-widening']);
      expect(await policy.envelope()).toEqual([fetchTo(API), fetchTo(OTHER)]);
      const redundant = await policy.review({ kind: 'grant-capability', origin: 'agent', capability: fetchTo(API) }, { now: 2 });
      expect(redundant.outcome).toBe('allow');
      expect(redundant.reasons[0]?.detail).toMatch(/already inside the envelope/);
    });
  });
}
