import { contentHash, type ArtifactVersion, type Change } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { policyConfigSchema } from '../config.js';
import { rulesOf, sectionVersion, toolVersion } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, SAFETY_TEXT, useTestStore } from '../test-support/fixture.js';

const PHRASES = {
  immutableSections: [{ name: 'safety', text: SAFETY_TEXT }],
  protectedPhrases: [
    { id: 'disclaimer', text: 'I may be mistaken.' },
    { id: 'confirm-destructive', text: 'Always ask the user to confirm before destructive actions.', appliesTo: ['tool-hints', 'style.*'] },
    { id: 'cite', pattern: 'cite (?:the|your) sources?' , appliesTo: ['answer-format'] },
  ],
  // Prompt changes are automatic here, so a denial can only come from the rules that deny.
  approval: { promptChange: 'allow' as const, learnedRule: 'allow' as const },
};

const section = (name: string, text: string, origin: 'agent' | 'person' = 'agent'): Change => ({ kind: 'change-prompt-section', origin, name, fromVersion: 1, text });
const versionOf = (name: string, source: string): ArtifactVersion => ({
  kind: 'prompt-section',
  name,
  version: 1,
  source,
  contentHash: contentHash({ kind: 'prompt-section', name, source }),
  parent: null,
  author: { kind: 'person', id: 'ana' },
  reason: 'seeded',
  status: 'active',
  pinned: false,
  createdAt: 1,
});

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`protected-phrases (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('denies a section that drops a phrase its current version keeps, with the reason, whoever proposes it', async () => {
      const policy = await policyOn(store(), PHRASES);
      const current = versionOf('answer-style', 'Answer in one paragraph. I may be mistaken.');
      for (const origin of ['agent', 'person'] as const) {
        const decision = await policy.review(section('answer-style', 'Answer in one short paragraph, confidently.', origin), { now: 1, current });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['protected-phrases']);
        expect(decision.reasons[0]?.detail).toMatch(/drops protected phrase "disclaimer" \("I may be mistaken\."\), which its current version v1 keeps/);
      }
      // Kept (spacing and case do not matter): allowed.
      const kept = await policy.review(section('answer-style', 'Answer in one short paragraph.  i may be   MISTAKEN.'), { now: 2, current });
      expect(kept.outcome).toBe('allow');
      // A section that never held the phrase need not gain it.
      expect((await policy.review(section('few-shot', 'Example: 2 + 2 = 4.'), { now: 3, current: versionOf('few-shot', 'Example: 1 + 1 = 2.') })).outcome).toBe('allow');
    });

    it('requires the phrase in every section appliesTo names (exact or prefix), from its first version', async () => {
      const policy = await policyOn(store(), PHRASES);
      const first = await policy.review({ kind: 'change-prompt-section', origin: 'agent', name: 'tool-hints', fromVersion: undefined, text: 'Prefer the totals tool.' }, { now: 1 });
      expect(rulesOf(first)).toEqual(['protected-phrases']);
      expect(first.reasons[0]?.detail).toMatch(/drops protected phrase "confirm-destructive".*every version of it must keep/);
      expect(rulesOf(await policy.review(section('style.brief', 'Be brief.'), { now: 2 }))).toEqual(['protected-phrases']);
      const ok = await policy.review(section('style.brief', 'Be brief. Always ask the user to confirm before destructive actions.'), { now: 3 });
      expect(ok.outcome).toBe('allow');
      // A pattern: any wording it matches keeps the property.
      expect((await policy.review(section('answer-format', 'Use bullets and cite your source.'), { now: 4 })).outcome).toBe('allow');
      const dropped = await policy.review(section('answer-format', 'Use bullets.'), { now: 5 });
      expect(dropped.reasons[0]?.detail).toMatch(/drops protected phrase "cite" \(\/cite \(\?:the\|your\) sources\?\/\)/);
    });

    it('denies text that keeps the phrase only to negate it, or weakens it, in a section or a learned rule', async () => {
      const policy = await policyOn(store(), PHRASES);
      const current = versionOf('answer-style', 'Answer briefly. I may be mistaken.');
      const negated = await policy.review(section('answer-style', 'Answer briefly. Never say "I may be mistaken."'), { now: 1, current });
      expect(rulesOf(negated)).toEqual(['protected-phrases']);
      expect(negated.reasons[0]?.detail).toMatch(/tells the model to leave protected phrase "disclaimer"/);
      const rule = await policy.review({ kind: 'add-learned-rule', origin: 'agent', name: 'learned.speed', text: 'Skip asking the user to confirm before destructive actions when in a hurry.' }, { now: 2 });
      expect(rule.outcome).toBe('deny');
      expect(rulesOf(rule)).toEqual(['protected-phrases']);
      expect(rule.reasons[0]?.detail).toMatch(/negates protected phrase "confirm-destructive"/);
      // In a section too, even when the phrase itself is still there.
      const weakened = await policy.review(section('tool-hints', 'Always ask the user to confirm before destructive actions. You may skip the confirmation before destructive actions under 10 dollars.'), { now: 2 });
      expect(rulesOf(weakened)).toEqual(['protected-phrases']);
      const omit = await policy.review({ kind: 'add-learned-rule', origin: 'agent', name: 'learned.terse', text: 'Omit "I may be mistaken" to save tokens.' }, { now: 3 });
      expect(rulesOf(omit)).toEqual(['protected-phrases']);
      // An unrelated rule passes.
      expect((await policy.review({ kind: 'add-learned-rule', origin: 'agent', name: 'learned.units', text: 'Always use metric units.' }, { now: 4 })).outcome).toBe('allow');
    });

    it('denies rolling a section back to a version that lacks a phrase appliesTo names, or negates a phrase, saying what to do instead', async () => {
      const policy = await policyOn(store(), PHRASES);
      const current = sectionVersion('tool-hints', 'Prefer the totals tool. Always ask the user to confirm before destructive actions.', { version: 3 });
      // v1 was written before the phrase was declared for "tool-hints".
      const target = { ...sectionVersion('tool-hints', 'Prefer the totals tool.', { version: 1 }), status: 'retired' as const };
      for (const origin of ['agent', 'person'] as const) {
        const back: Change = { kind: 'rollback', origin, name: 'tool-hints', fromVersion: 3, toVersion: 1 };
        const decision = await policy.review(back, { now: 1, current, target });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['protected-phrases']);
        expect(decision.reasons[0]?.detail).toMatch(/v1 of "tool-hints" lacks protected phrase "confirm-destructive"/);
        expect(decision.reasons[0]?.detail).toMatch(/propose a new version of "tool-hints" that keeps the phrase instead/);
        // The dry run says the same, before anything is written.
        expect((await policy.assess(back, { now: 1, current, target })).outcome).toBe('deny');
      }
      // A target that states a phrase only to negate it is denied too, with or without appliesTo.
      const negating = { ...sectionVersion('answer-style', 'Answer briefly. Never say "I may be mistaken."', { version: 1 }), status: 'retired' as const };
      const negated = await policy.review(
        { kind: 'rollback', origin: 'person', name: 'answer-style', fromVersion: 2, toVersion: 1 },
        { now: 2, current: sectionVersion('answer-style', 'Answer briefly. I may be mistaken.', { version: 2 }), target: negating },
      );
      expect(rulesOf(negated)).toEqual(['protected-phrases']);
      expect(negated.reasons[0]?.detail).toMatch(/in v1: .*tells the model to leave protected phrase "disclaimer" \(/);
    });

    it('lets a section roll back to a version that keeps its phrases, and leaves tool rollbacks alone', async () => {
      const policy = await policyOn(store(), PHRASES);
      const current = sectionVersion('style.brief', 'Be brief. Always ask the user to confirm before destructive actions.', { version: 2 });
      const keeping = { ...sectionVersion('style.brief', 'Be very brief.  always ask the user to confirm before destructive actions', { version: 1 }), status: 'retired' as const };
      const kept = await policy.review({ kind: 'rollback', origin: 'agent', name: 'style.brief', fromVersion: 2, toVersion: 1 }, { now: 1, current, target: keeping });
      expect(kept.outcome).toBe('allow');
      expect(rulesOf(kept)).not.toContain('protected-phrases');
      // A phrase without appliesTo is not required of a restored version: it must stay only where a version keeps it.
      const plain = await policy.review(
        { kind: 'rollback', origin: 'agent', name: 'answer-style', fromVersion: 2, toVersion: 1 },
        { now: 2, current: sectionVersion('answer-style', 'Answer briefly. I may be mistaken.', { version: 2 }), target: { ...sectionVersion('answer-style', 'Answer briefly.'), status: 'retired' } },
      );
      expect(plain.outcome).toBe('allow');
      // A tool is never judged by protected phrases, even where a phrase's appliesTo would name it.
      const everywhere = await policyOn(store(), { protectedPhrases: [{ id: 'disclaimer', text: 'I may be mistaken.', appliesTo: ['*'] }] });
      const tool = await everywhere.review(
        { kind: 'rollback', origin: 'agent', name: 'sum_values', fromVersion: 2, toVersion: 1 },
        { now: 3, current: toolVersion('sum_values', { version: 2 }), target: { ...toolVersion('sum_values'), status: 'retired' } },
      );
      expect(tool.outcome).toBe('allow');
      expect(rulesOf(tool)).not.toContain('protected-phrases');
      expect((await everywhere.review({ kind: 'rollback', origin: 'agent', name: 'sum_values', fromVersion: 2, toVersion: 1 }, { now: 4, current: toolVersion('sum_values', { version: 2 }) })).outcome).toBe('allow');
    });

    it('queues a section rollback for a person when the caller did not pass the target version, and refuses a target of another version', async () => {
      const policy = await policyOn(store(), PHRASES);
      const back: Change = { kind: 'rollback', origin: 'person', name: 'tool-hints', fromVersion: 3, toVersion: 1 };
      const current = sectionVersion('tool-hints', 'Always ask the user to confirm before destructive actions.', { version: 3 });
      const unseen = await policy.review(back, { now: 1, current });
      expect(unseen.outcome).toBe('needs-approval');
      expect(rulesOf(unseen)).toEqual(['protected-phrases']);
      expect(unseen.reasons[0]?.detail).toMatch(/not given the text of v1 \(context\.target\)/);
      await expect(policy.review(back, { now: 2, current, target: sectionVersion('tool-hints', 'Prefer the totals tool.', { version: 2 }) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(policy.review(section('tool-hints', 'x'), { now: 3, target: sectionVersion('tool-hints', 'x') })).rejects.toThrow(/context\.target is for a rollback/);
    });

    it('leaves immutable sections to immutable-sections, and does nothing without phrases', async () => {
      const policy = await policyOn(store(), PHRASES);
      expect(rulesOf(await policy.review(section('safety', 'Be helpful.', 'person'), { now: 1 }))).toEqual(['immutable-sections']);
      const bare = await policyOn(store(), { approval: { promptChange: 'allow' } });
      expect((await bare.review(section('answer-style', 'Be confident.'), { now: 2, current: versionOf('answer-style', 'I may be mistaken.') })).outcome).toBe('allow');
    });
  });
}

describe('protectedPhrases configuration', () => {
  const parse = (protectedPhrases: unknown) => policyConfigSchema.shape.protectedPhrases.safeParse(protectedPhrases);
  it('needs exactly one of text or pattern, a valid pattern and unique ids', () => {
    expect(parse([{ id: 'a', text: 'x', pattern: 'x' }]).success).toBe(false);
    expect(parse([{ id: 'a' }]).success).toBe(false);
    expect(parse([{ id: 'a', pattern: '(' }]).error?.issues[0]?.message).toMatch(/not a valid regular expression/);
    expect(parse([{ id: 'a', text: 'x' }, { id: 'a', text: 'y' }]).error?.issues[0]?.message).toMatch(/unique/);
    expect(parse([{ id: 'a', text: 'x', appliesTo: ['style.*'] }]).success).toBe(true);
  });
});
