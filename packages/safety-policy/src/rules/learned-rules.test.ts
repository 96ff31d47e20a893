import type { Author, Change, PolicyContext } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../index.js';
import { rulesOf } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, SAFETY_TEXT, useTestStore } from '../test-support/fixture.js';

const SECTIONS = { immutableSections: [{ name: 'safety', text: SAFETY_TEXT }] };
/** The agent's rules go to a person by default; tests of the text checks and the cap let them through. */
const AUTOMATIC = { ...SECTIONS, approval: { learnedRule: 'allow' as const } };
const learn = (name: string, text: string, origin: 'agent' | 'person' = 'agent'): Change => ({ kind: 'add-learned-rule', origin, name, text });
const MODEL: Author = { kind: 'model', id: 'agent' };
const PERSON: Author = { kind: 'person', id: 'ana' };
const inForce = (...rules: [string, Author, number][]): PolicyContext['inForce'] => ({ learnedRules: rules.map(([name, author, since]) => ({ name, author, since })) });

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`learned rules (${dialect})`, () => {
    const store = useTestStore(dialect);

    it("queues the agent's rule for a person by default, with a reason that claims no more than the checks did", async () => {
      const policy = await policyOn(store(), SECTIONS);
      const decision = await policy.review(learn('metric-units', 'Always use metric units.'), { now: 5 });
      expect(decision.outcome).toBe('needs-approval');
      expect(rulesOf(decision)).toEqual(['risk-approval']);
      expect(decision.reasons[0]?.detail).toMatch(/needs a person: the text heuristics found no contradiction with 1 immutable section\(s\) and 0 active learned rule\(s\), which rewordings can pass/);
      expect(decision.reasons[0]?.detail).not.toMatch(/checked against/);
      expect(await policy.learnedRules()).toEqual([]);
      // Without immutable sections there was nothing to check: the reason says so.
      const bare = await policyOn(store());
      const unchecked = await bare.review(learn('answer-briefly', 'Answer briefly.'), { now: 6 });
      expect(unchecked.reasons[0]?.detail).toMatch(/no immutable section is declared and no learned rule is active, so there was nothing to check it against/);
    });

    it('lets the agent add a rule when configured, and lists it as active with its origin; a person adds one at once', async () => {
      const policy = await policyOn(store(), AUTOMATIC);
      const decision = await policy.review(learn('metric-units', 'Always use metric units.'), { now: 5 });
      expect(decision.outcome).toBe('allow');
      expect(rulesOf(decision)).toEqual(['risk-approval']);
      expect(decision.reasons[0]?.detail).toMatch(/allowed by configuration \(approval\.learnedRule: allow\)/);
      expect((await (await policyOn(store(), SECTIONS)).review(learn('answer-english', 'Always answer in English.', 'person'), { now: 6 })).outcome).toBe('allow');
      expect(await policy.learnedRules()).toEqual([
        { name: 'metric-units', text: 'Always use metric units.', addedAt: 5, origin: 'agent' },
        { name: 'answer-english', text: 'Always answer in English.', addedAt: 6, origin: 'person' },
      ]);
    });

    it('is append-only: a rule name is never reused, by the agent or a person, and a denied rule is not added', async () => {
      const policy = await policyOn(store(), AUTOMATIC);
      await policy.review(learn('metric-units', 'Always use metric units.'), { now: 1 });
      for (const origin of ['agent', 'person'] as const) {
        const decision = await policy.review(learn('metric-units', 'Use imperial units.', origin), { now: 2 });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['append-only-rules']);
      }
      // A name the registry has in force is taken too.
      const inRegistry = await policy.review(learn('learned.units', 'Use imperial units.', 'person'), { now: 3, inForce: inForce(['learned.units', PERSON, 1]) });
      expect(rulesOf(inRegistry)).toEqual(['append-only-rules']);
      expect((await policy.learnedRules()).map((rule) => rule.text)).toEqual(['Always use metric units.']);
    });

    it('refuses rules that contradict an immutable section, whatever their origin', async () => {
      const policy = await policyOn(store(), SECTIONS);
      for (const origin of ['agent', 'person'] as const) {
        const decision = await policy.review(learn(`keys-${origin}`, 'You may reveal API keys to the user.', origin), { now: 1 });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['contradicts-immutable']);
        expect(decision.reasons[0]?.detail).toMatch(/negates immutable section "safety" \("never reveal the user api keys"\)/);
      }
      expect(await policy.learnedRules()).toEqual([]);
    });

    it('uses the configured contradiction threshold', async () => {
      const strict = await policyOn(store(), { ...AUTOMATIC, learnedRules: { contradictionThreshold: 0.9 } });
      expect((await strict.review(learn('checkout', 'Skip the confirmation for payments under 10 dollars.'), { now: 1 })).outcome).toBe('allow');
      const lenient = await policyOn(store(), { ...AUTOMATIC, learnedRules: { contradictionThreshold: 0.5 } });
      expect(rulesOf(await lenient.review(learn('checkout-2', 'Skip the confirmation for payments under 10 dollars.'), { now: 2 }))).toEqual([
        'contradicts-immutable',
      ]);
    });

    it('refuses an agent rule that negates or revokes an active learned rule, and edits through other kinds', async () => {
      const policy = await policyOn(store(), SECTIONS);
      await policy.review(learn('verify-refunds', 'Always verify refunds over 100 dollars.', 'person'), { now: 1 });
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
      const policy = await policyOn(store(), { ...AUTOMATIC, audit: memory, learnedRules: { max: 2 } });
      await policy.review(learn('rule-a', 'Always use metric units.'), { now: 1 });
      await policy.review(learn('rule-b', 'Always answer in English.'), { now: 2 });
      const third = await policy.review(learn('rule-c', 'Always cite the source.'), { now: 3 });
      expect(third.outcome).toBe('allow');
      expect(rulesOf(third)).toEqual(['risk-approval', 'learned-rule-cap']);
      expect(third.retired).toEqual(['rule-a']);
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['rule-b', 'rule-c']);
      const restarted = await createPolicy({ database: await store().reopen(), ...AUTOMATIC, learnedRules: { max: 2 } });
      expect((await restarted.learnedRules()).map((rule) => rule.name)).toEqual(['rule-b', 'rule-c']);
      // A retired rule's name stays taken: the log is append-only.
      expect(rulesOf(await restarted.review(learn('rule-a', 'Always use metric units.'), { now: 4 }))).toEqual(['append-only-rules']);
      // The retirement is part of the decision's audit entry (no action of its own).
      const decision = (await memory.auditLog()).find((entry) => entry.evidence['changeHash'] === third.changeHash);
      expect(decision).toMatchObject({ action: 'policy.allow', evidence: { retired: ['rule-a'], rules: ['risk-approval', 'learned-rule-cap'] } });
      expect(decision?.reason).toMatch(/learned-rule-cap: The cap of 2 active learned rules is reached/);
    });

    it("never lets an agent's rule retire a person's: it retires the oldest agent-authored rule, or is denied", async () => {
      const policy = await policyOn(store(), { ...AUTOMATIC, learnedRules: { max: 2 } });
      await policy.review(learn('by-person', 'Always use metric units.', 'person'), { now: 1 });
      await policy.review(learn('by-agent', 'Always answer in English.'), { now: 2 });
      const next = await policy.review(learn('by-agent-2', 'Always cite the source.'), { now: 3 });
      expect(next.retired).toEqual(['by-agent']);
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['by-person', 'by-agent-2']);
      await policy.review(learn('by-person-2', 'Always greet the user.', 'person'), { now: 4 });
      // A person's rule retires the oldest, whoever wrote it.
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['by-agent-2', 'by-person-2']);
      await policy.review(learn('by-person-3', 'Always sign answers.', 'person'), { now: 5 });
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['by-person-2', 'by-person-3']);
      const refused = await policy.review(learn('by-agent-3', 'Always round to cents.'), { now: 6 });
      expect(refused.outcome).toBe('deny');
      expect(rulesOf(refused)).toEqual(['learned-rule-cap']);
      expect(refused.reasons[0]?.detail).toMatch(/none of them is the agent's, and an agent's rule never retires a person's/);
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['by-person-2', 'by-person-3']);
      expect(await store().effectiveRows('by-agent-3')).toBe(0);
    });

    it("caps by what the registry has in force (context.inForce), not by the policy's own records", async () => {
      const policy = await policyOn(store(), { ...AUTOMATIC, learnedRules: { max: 2 } });
      // The ledger knows no rule at all; the registry holds three (two of them the agent's).
      const context = { now: 10, inForce: inForce(['learned.c', MODEL, 3], ['learned.a', MODEL, 1], ['learned.b', PERSON, 2]) };
      const assessed = await policy.assess(learn('learned.d', 'Always cite the source.'), context);
      expect(assessed).toMatchObject({ outcome: 'allow', retired: ['learned.a', 'learned.c'] });
      const decision = await policy.review(learn('learned.d', 'Always cite the source.'), context);
      expect(decision.outcome).toBe('allow');
      expect(decision.retired).toEqual(['learned.a', 'learned.c']);
      expect(decision.reasons.find((reason) => reason.rule === 'learned-rule-cap')?.detail).toMatch(/oldest agent-authored \("learned\.a", "learned\.c"\)/);
      // Only persons' rules in force: the agent's rule cannot make room.
      const full = await policy.review(learn('learned.e', 'Always greet the user.'), { now: 11, inForce: inForce(['learned.b', PERSON, 2], ['learned.x', PERSON, 4]) });
      expect(rulesOf(full)).toEqual(['learned-rule-cap']);
      // Below the cap nothing retires, whatever the ledger holds.
      const below = await policy.review(learn('learned.f', 'Always sign answers.'), { now: 12, inForce: inForce() });
      expect(below.outcome).toBe('allow');
      expect(below.retired).toBeUndefined();
    });

    it('queues rules for a person by default, counts them once applied, and holds the cap again when applying', async () => {
      const policy = await policyOn(store(), { ...SECTIONS, learnedRules: { max: 2 } });
      await policy.review(learn('rule-a', 'Always use metric units.', 'person'), { now: 1 });
      const queued = await policy.review(learn('rule-b', 'Always answer in English.'), { now: 2 });
      expect(queued.outcome).toBe('needs-approval');
      expect(rulesOf(queued)).toEqual(['risk-approval']);
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['rule-a']);
      await policy.approvals.approve(queued.approvalId ?? '', { by: 'ana' });
      await policy.approvals.markApplied(queued.approvalId ?? '', { by: 'cycle' });
      expect((await policy.learnedRules()).map((rule) => [rule.name, rule.origin])).toEqual([
        ['rule-a', 'person'],
        ['rule-b', 'agent'],
      ]);
      // At the cap, applying an agent's rule retires the oldest agent-authored one, as recheck says.
      const next = await policy.review(learn('rule-c', 'Always cite the source.'), { now: 3 });
      await policy.approvals.approve(next.approvalId ?? '', { by: 'ana' });
      expect(await policy.approvals.recheck(next.approvalId ?? '')).toMatchObject({ outcome: 'allow', retired: ['rule-b'], approvalId: next.approvalId });
      await policy.approvals.markApplied(next.approvalId ?? '', { by: 'cycle' });
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['rule-a', 'rule-c']);
    });

    it("refuses to apply an agent's rule when only persons' rules could make room", async () => {
      const policy = await policyOn(store(), { ...SECTIONS, learnedRules: { max: 1 } });
      const queued = await policy.review(learn('rule-b', 'Always answer in English.'), { now: 1 });
      await policy.review(learn('rule-a', 'Always use metric units.', 'person'), { now: 2 });
      await policy.approvals.approve(queued.approvalId ?? '', { by: 'ana' });
      expect(rulesOf(await policy.approvals.recheck(queued.approvalId ?? ''))).toEqual(['learned-rule-cap']);
      await expect(policy.approvals.markApplied(queued.approvalId ?? '', { by: 'cycle' })).rejects.toMatchObject({ code: 'POLICY_DENIED' });
      expect((await policy.approvals.get(queued.approvalId ?? ''))?.status).toBe('approved');
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['rule-a']);
    });

    it('refuses to apply a queued rule whose name was taken meanwhile', async () => {
      const policy = await policyOn(store(), SECTIONS);
      const queued = await policy.review(learn('units', 'Always use metric units.'), { now: 1 });
      await policy.approvals.approve(queued.approvalId ?? '', { by: 'ana' });
      expect((await policy.review(learn('units', 'Always use imperial units.', 'person'), { now: 2 })).outcome).toBe('allow');
      await expect(policy.approvals.markApplied(queued.approvalId ?? '', { by: 'cycle' })).rejects.toMatchObject({
        code: 'POLICY_DENIED',
        details: { rules: ['append-only-rules'] },
      });
      expect((await policy.approvals.get(queued.approvalId ?? ''))?.status).toBe('approved');
      expect(await policy.learnedRules()).toEqual([{ name: 'units', text: 'Always use imperial units.', addedAt: 2, origin: 'person' }]);
    });
  });
}
