import { describe, expect, it } from 'vitest';
import { rewriteTool, rulesOf, sectionVersion, toolVersion, verdict } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, useTestStore } from '../test-support/fixture.js';

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`pinned (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('denies every automatic change of a pinned artifact', async () => {
      const policy = await policyOn(store());
      const pinnedTool = toolVersion('sum_values', { pinned: true });
      const changes = [
        [rewriteTool('sum_values'), { current: pinnedTool, verdict: verdict('sum_values') }],
        [{ kind: 'rollback', origin: 'agent', name: 'sum_values', fromVersion: 1, toVersion: 1 }, { current: pinnedTool }],
        [{ kind: 'unpin', origin: 'agent', name: 'sum_values' }, { current: pinnedTool }],
        [
          { kind: 'change-prompt-section', origin: 'agent', name: 'style', fromVersion: 1, text: 'Be terse.' },
          { current: sectionVersion('style', 'Be kind.', { pinned: true }) },
        ],
      ] as const;
      for (const [change, context] of changes) {
        const decision = await policy.review(change, { now: 1, ...context });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['pinned']);
      }
    });

    it('lets a person change a pinned artifact', async () => {
      const policy = await policyOn(store());
      const decision = await policy.review(rewriteTool('sum_values', { origin: 'person' }), { now: 1, current: toolVersion('sum_values', { pinned: true }) });
      expect(decision.outcome).toBe('allow');
      expect((await policy.review({ kind: 'unpin', origin: 'person', name: 'sum_values' }, { now: 2, current: toolVersion('sum_values', { pinned: true }) })).outcome).toBe(
        'allow',
      );
    });

    it('remembers pins it allowed, so leaving the version out of the context does not help; a person unpin lifts it', async () => {
      const policy = await policyOn(store());
      expect((await policy.review({ kind: 'pin', origin: 'agent', name: 'sum_values' }, { now: 1 })).outcome).toBe('allow');
      expect(rulesOf(await policy.review(rewriteTool('sum_values'), { now: 2, verdict: verdict('sum_values') }))).toEqual(['pinned']);
      expect(rulesOf(await policy.review({ kind: 'unpin', origin: 'agent', name: 'sum_values' }, { now: 3 }))).toEqual(['pinned']);
      expect((await policy.review({ kind: 'unpin', origin: 'person', name: 'sum_values' }, { now: 4 })).outcome).toBe('allow');
      expect((await policy.review(rewriteTool('sum_values'), { now: 5, verdict: verdict('sum_values') })).outcome).toBe('allow');
    });

    it('treats an unpinned artifact normally, and pinning by the agent follows approval.pin', async () => {
      const policy = await policyOn(store(), { approval: { pin: 'needs-approval' } });
      expect((await policy.review(rewriteTool('sum_values'), { now: 1, current: toolVersion('sum_values'), verdict: verdict('sum_values') })).outcome).toBe('allow');
      const pin = await policy.review({ kind: 'pin', origin: 'agent', name: 'sum_values' }, { now: 2 });
      expect(pin.outcome).toBe('needs-approval');
      expect(rulesOf(pin)).toEqual(['risk-approval']);
    });
  });
}
