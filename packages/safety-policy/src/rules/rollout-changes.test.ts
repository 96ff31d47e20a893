import type { Change } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { changeSchema } from '../change-schema.js';
import { fetchTo, rulesOf, sectionVersion, toolVersion, verdict } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, useTestStore } from '../test-support/fixture.js';

const widen = (overrides: Partial<Extract<Change, { kind: 'widen-rollout' }>> = {}): Change => ({
  kind: 'widen-rollout',
  origin: 'agent',
  name: 'sum_values',
  experimentId: 'exp-1',
  version: 2,
  baselineVersion: 1,
  fromShare: 0.1,
  toShare: 0.5,
  ...overrides,
});

const promote = (overrides: Partial<Extract<Change, { kind: 'promote-version' }>> = {}): Change => ({
  kind: 'promote-version',
  origin: 'agent',
  name: 'sum_values',
  fromVersion: 1,
  toVersion: 2,
  experimentId: 'exp-1',
  ...overrides,
});

const pureCandidate = toolVersion('sum_values', { version: 2 });
const networkCandidate = toolVersion('sum_values', { version: 2, capabilities: [fetchTo('https://fares.example')] });

describe('the change schema of live experiments', () => {
  it('accepts a widening and a promotion', () => {
    expect(changeSchema.safeParse(widen()).success).toBe(true);
    expect(changeSchema.safeParse(promote()).success).toBe(true);
    expect(changeSchema.safeParse(promote({ experimentId: undefined })).success).toBe(true);
  });

  it('refuses shares outside 0..1, a narrowing, one version on both sides and unknown fields', () => {
    for (const bad of [
      widen({ toShare: 1.5 }),
      widen({ fromShare: -0.1 }),
      widen({ fromShare: 0.5, toShare: 0.5 }),
      widen({ fromShare: 0.5, toShare: 0.1 }),
      widen({ baselineVersion: 2 }),
      widen({ experimentId: ' ' }),
      promote({ toVersion: 1 }),
      promote({ toVersion: 0 }),
      { ...promote(), extra: true },
    ]) {
      expect(changeSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`rollout changes (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('allows the agent to widen a canary of a pure tool, and to promote a pure A/B winner', async () => {
      const policy = await policyOn(store());
      const widened = await policy.review(widen(), { now: 1, current: pureCandidate, candidate: pureCandidate });
      expect(widened.outcome).toBe('allow');
      expect(rulesOf(widened)).toEqual(['risk-approval']);
      expect(widened.reasons[0]?.detail).toMatch(/10 % to 50 %/);
      expect((await policy.review(promote(), { now: 2, current: toolVersion('sum_values'), candidate: pureCandidate, verdict: verdict('sum_values') })).outcome).toBe('allow');
    });

    it('promote-version of an unproven candidate needs a person, whatever experiment is named; a failed verdict is denied', async () => {
      const policy = await policyOn(store());
      const untested = await policy.review(promote({ experimentId: 'no-such-experiment' }), { now: 1, current: toolVersion('sum_values'), candidate: pureCandidate });
      expect(untested.outcome).toBe('needs-approval');
      expect(untested.reasons.map((reason) => reason.detail).join(' ')).toMatch(/no regression verdict/);
      const failed = await policy.review(promote(), { now: 2, current: toolVersion('sum_values'), candidate: pureCandidate, verdict: verdict('sum_values', { decision: 'reject', reasons: ['2 of 2 cases failed'] }) });
      expect(failed.outcome).toBe('deny');
      expect(rulesOf(failed)).toContain('regression-verdict');
    });

    it('asks a person to widen or promote a network tool, a prompt section, or a version it was not shown', async () => {
      const policy = await policyOn(store());
      const network = await policy.review(widen(), { now: 1, current: networkCandidate, candidate: networkCandidate });
      expect(network.outcome).toBe('needs-approval');
      expect(network.reasons[0]?.detail).toMatch(/network tools need a person/);
      expect((await policy.review(promote(), { now: 2, candidate: networkCandidate })).outcome).toBe('needs-approval');
      const section = sectionVersion('style', 'Be terse.', { version: 2 });
      expect((await policy.review(widen({ name: 'style' }), { now: 3, candidate: section })).outcome).toBe('needs-approval');
      expect((await policy.review(widen({ experimentId: 'exp-unknown' }), { now: 4 })).outcome).toBe('needs-approval');
    });

    it('asks a person when the agent promotes a candidate with no experiment behind it', async () => {
      const policy = await policyOn(store());
      const decision = await policy.review(promote({ experimentId: undefined }), { now: 1, candidate: pureCandidate });
      expect(decision.outcome).toBe('needs-approval');
      expect(decision.reasons[0]?.detail).toMatch(/no experiment behind it/);
    });

    it('queues the same widening once: proposing it again at a later look names the same request', async () => {
      const policy = await policyOn(store());
      const first = await policy.review(widen(), { now: 1, candidate: networkCandidate });
      const again = await policy.review(widen(), { now: 2, candidate: networkCandidate });
      expect(first.approvalId).toEqual(expect.any(String));
      expect(again.approvalId).toBe(first.approvalId);
      expect(await policy.approvals.list({ status: 'proposed' })).toHaveLength(1);
    });

    it("lets a person's widening and promotion of a network tool through", async () => {
      const policy = await policyOn(store());
      expect((await policy.review(widen({ origin: 'person' }), { now: 1, candidate: networkCandidate })).outcome).toBe('allow');
      expect((await policy.review(promote({ origin: 'person' }), { now: 2, candidate: networkCandidate })).outcome).toBe('allow');
    });

    it('denies both to the agent on a pinned artifact, remembered in the ledger too', async () => {
      const policy = await policyOn(store());
      const pinned = toolVersion('sum_values', { pinned: true });
      expect(rulesOf(await policy.review(widen(), { now: 1, current: pinned, candidate: pureCandidate }))).toEqual(['pinned']);
      expect(rulesOf(await policy.review(promote(), { now: 2, current: pinned, candidate: pureCandidate }))).toEqual(['pinned']);
      expect((await policy.review({ kind: 'pin', origin: 'person', name: 'other_tool' }, { now: 3 })).outcome).toBe('allow');
      expect(rulesOf(await policy.review(widen({ name: 'other_tool' }), { now: 4, candidate: toolVersion('other_tool', { version: 2 }) }))).toEqual(['pinned']);
    });

    it('denies both while the kill switch is engaged, with the kill-switch reason alone', async () => {
      const policy = await policyOn(store());
      await policy.killSwitch.engage({ by: 'ana', reason: 'incident' });
      for (const change of [widen(), promote()]) {
        const decision = await policy.review(change, { now: 1, candidate: pureCandidate });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['kill-switch']);
      }
    });
  });
}
