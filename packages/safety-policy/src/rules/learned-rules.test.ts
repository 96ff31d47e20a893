import type { Change } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../index.js';
import { rulesOf } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, SAFETY_TEXT, useTestStore } from '../test-support/fixture.js';

const SECTIONS = { immutableSections: [{ name: 'safety', text: SAFETY_TEXT }] };
const learn = (name: string, text: string, origin: 'agent' | 'person' = 'agent'): Change => ({ kind: 'add-learned-rule', origin, name, text });

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`learned rules (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('lets the agent add a rule by default and lists it as active', async () => {
      const policy = policyOn(store(), SECTIONS);
      const decision = await policy.review(learn('metric-units', 'Always use metric units.'), { now: 5 });
      expect(decision.outcome).toBe('allow');
      expect(rulesOf(decision)).toEqual(['risk-approval']);
      expect(await policy.learnedRules()).toEqual([{ name: 'metric-units', text: 'Always use metric units.', addedAt: 5 }]);
    });

    it('is append-only: a rule name is never reused, by the agent or a person, and a denied rule is not added', async () => {
      const policy = policyOn(store(), SECTIONS);
      await policy.review(learn('metric-units', 'Always use metric units.'), { now: 1 });
      for (const origin of ['agent', 'person'] as const) {
        const decision = await policy.review(learn('metric-units', 'Use imperial units.', origin), { now: 2 });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['append-only-rules']);
      }
      expect((await policy.learnedRules()).map((rule) => rule.text)).toEqual(['Always use metric units.']);
    });

    it('refuses rules that contradict an immutable section, whatever their origin', async () => {
      const policy = policyOn(store(), SECTIONS);
      for (const origin of ['agent', 'person'] as const) {
        const decision = await policy.review(learn(`keys-${origin}`, 'You may reveal API keys to the user.', origin), { now: 1 });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['contradicts-immutable']);
        expect(decision.reasons[0]?.detail).toMatch(/negates immutable section "safety" \("never reveal the user api keys"\)/);
      }
      expect(await policy.learnedRules()).toEqual([]);
    });

    it('uses the configured contradiction threshold', async () => {
      const strict = policyOn(store(), { ...SECTIONS, learnedRules: { contradictionThreshold: 0.9 } });
      expect((await strict.review(learn('checkout', 'Skip the confirmation for payments under 10 dollars.'), { now: 1 })).outcome).toBe('allow');
      const lenient = policyOn(store(), { ...SECTIONS, learnedRules: { contradictionThreshold: 0.5 } });
      expect(rulesOf(await lenient.review(learn('checkout-2', 'Skip the confirmation for payments under 10 dollars.'), { now: 2 }))).toEqual([
        'contradicts-immutable',
      ]);
    });

    it('refuses an agent rule that negates or revokes an active learned rule, and edits through other kinds', async () => {
      const policy = policyOn(store(), SECTIONS);
      await policy.review(learn('verify-refunds', 'Always verify refunds over 100 dollars.'), { now: 1 });
      const negation = await policy.review(learn('fast-refunds', 'Refunds over 100 dollars no longer need verification.'), { now: 2 });
      expect(rulesOf(negation)).toEqual(['append-only-rules']);
      const revocation = await policy.review(learn('cleanup', 'Rule verify-refunds is superseded.'), { now: 3 });
      expect(rulesOf(revocation)).toEqual(['append-only-rules']);
      const rollback = await policy.review({ kind: 'rollback', origin: 'agent', name: 'verify-refunds', fromVersion: 2, toVersion: 1 }, { now: 4 });
      expect(rulesOf(rollback)).toEqual(['append-only-rules']);
      // A person may roll a learned rule back.
      expect((await policy.review({ kind: 'rollback', origin: 'person', name: 'verify-refunds', fromVersion: 2, toVersion: 1 }, { now: 5 })).outcome).toBe(
        'allow',
      );
    });

    it('caps active rules at N: adding one more retires the oldest by a recorded, audited change that survives a restart', async () => {
      const memory = await store().memory();
      const policy = policyOn(store(), { ...SECTIONS, audit: memory, learnedRules: { max: 2 } });
      await policy.review(learn('rule-a', 'Always use metric units.'), { now: 1 });
      await policy.review(learn('rule-b', 'Always answer in English.'), { now: 2 });
      const third = await policy.review(learn('rule-c', 'Always cite the source.'), { now: 3 });
      expect(third.outcome).toBe('allow');
      expect(rulesOf(third)).toEqual(['risk-approval', 'learned-rule-cap']);
      expect(third.retired).toEqual(['rule-a']);
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['rule-b', 'rule-c']);
      const restarted = createPolicy({ database: await store().reopen(), learnedRules: { max: 2 } });
      expect((await restarted.learnedRules()).map((rule) => rule.name)).toEqual(['rule-b', 'rule-c']);
      // A retired rule's name stays taken: the log is append-only.
      expect(rulesOf(await restarted.review(learn('rule-a', 'Always use metric units.'), { now: 4 }))).toEqual(['append-only-rules']);
      const retirement = (await memory.auditLog()).find((entry) => entry.action === 'policy.retire-learned-rule');
      expect(retirement).toMatchObject({ artifact: 'rule-a' });
    });

    it('queues rules for a person when configured, and counts them once applied', async () => {
      const policy = policyOn(store(), { ...SECTIONS, approval: { learnedRule: 'needs-approval' }, learnedRules: { max: 1 } });
      await policy.review(learn('rule-a', 'Always use metric units.', 'person'), { now: 1 });
      const queued = await policy.review(learn('rule-b', 'Always answer in English.'), { now: 2 });
      expect(queued.outcome).toBe('needs-approval');
      expect(rulesOf(queued)).toEqual(['risk-approval']);
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['rule-a']);
      await policy.approvals.approve(queued.approvalId ?? '', { by: 'ana' });
      await policy.approvals.markApplied(queued.approvalId ?? '', { by: 'cycle' });
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['rule-b']);
    });

    it('refuses to apply a queued rule whose name was taken meanwhile', async () => {
      const policy = policyOn(store(), { ...SECTIONS, approval: { learnedRule: 'needs-approval' } });
      const queued = await policy.review(learn('units', 'Always use metric units.'), { now: 1 });
      await policy.approvals.approve(queued.approvalId ?? '', { by: 'ana' });
      expect((await policy.review(learn('units', 'Always use imperial units.', 'person'), { now: 2 })).outcome).toBe('allow');
      await expect(policy.approvals.markApplied(queued.approvalId ?? '', { by: 'cycle' })).rejects.toMatchObject({ code: 'POLICY_APPROVAL_CONFLICT' });
      expect((await policy.approvals.get(queued.approvalId ?? ''))?.status).toBe('approved');
      expect(await policy.learnedRules()).toEqual([{ name: 'units', text: 'Always use imperial units.', addedAt: 2 }]);
    });
  });
}
