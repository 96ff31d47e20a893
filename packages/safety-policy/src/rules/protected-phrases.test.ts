import { contentHash, type ArtifactVersion, type Change } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { policyConfigSchema } from '../config.js';
import { rulesOf } from '../test-support/changes.js';
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
