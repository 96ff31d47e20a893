import { sha256, type Change } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { rulesOf } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, SAFETY_TEXT, useTestStore } from '../test-support/fixture.js';

const SECTIONS = { immutableSections: [{ name: 'safety', text: SAFETY_TEXT }] };

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`immutable-sections (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('exposes the declared sections with the SHA-256 of their bytes', async () => {
      const policy = await policyOn(store(), SECTIONS);
      expect(policy.sections).toEqual([{ name: 'safety', text: SAFETY_TEXT, hash: sha256(SAFETY_TEXT) }]);
      expect(Object.isFrozen(policy.sections)).toBe(true);
    });

    it('denies every kind of change naming an immutable section, from a person too', async () => {
      const policy = await policyOn(store(), SECTIONS);
      const changes = [
        { kind: 'change-prompt-section', origin: 'person', name: 'safety', fromVersion: 1, text: 'Be helpful.' },
        { kind: 'add-learned-rule', origin: 'agent', name: 'safety', text: 'Always be brief.' },
        { kind: 'rollback', origin: 'person', name: 'safety', fromVersion: 2, toVersion: 1 },
        { kind: 'unpin', origin: 'agent', name: 'safety' },
      ] as const;
      for (const change of changes) {
        const decision = await policy.review(change, { now: 1 });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['immutable-sections']);
      }
    });

    it('allows prompt sections that are not immutable to go to a person', async () => {
      const policy = await policyOn(store(), SECTIONS);
      const decision = await policy.review({ kind: 'change-prompt-section', origin: 'agent', name: 'style', fromVersion: undefined, text: 'Answer briefly.' }, { now: 1 });
      expect(decision.outcome).toBe('needs-approval');
      expect(rulesOf(decision)).toEqual(['risk-approval']);
    });

    it('verifies stored copies at load: intact passes and leaves the kill switch alone', async () => {
      const policy = await policyOn(store(), SECTIONS);
      const result = await policy.verifySections([{ name: 'safety', text: SAFETY_TEXT }]);
      expect(result.ok).toBe(true);
      await expect(policy.assertSectionsIntact([{ name: 'safety', text: SAFETY_TEXT }])).resolves.toBeUndefined();
      expect((await policy.killSwitch.state()).engaged).toBe(false);
    });

    it('detects a tampered stored copy at load, audits it and engages the kill switch', async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { ...SECTIONS, audit: memory });
      const tampered = SAFETY_TEXT.replace('Never', 'N\u0435ver');
      const result = await policy.verifySections([{ name: 'safety', text: tampered }]);
      expect(result).toEqual({
        ok: false,
        sections: [{ name: 'safety', status: 'tampered', expectedHash: sha256(SAFETY_TEXT), actualHash: sha256(tampered), difference: 'look-alike' }],
      });
      expect(await policy.killSwitch.state()).toMatchObject({ engaged: true, by: 'safety-policy' });
      const actions = (await memory.auditLog()).map((entry) => entry.action);
      expect(actions).toEqual(['policy.kill-switch.engage', 'policy.sections-tampered']);
      expect(rulesOf(await policy.review({ kind: 'pin', origin: 'agent', name: 'x' }, { now: 1 }))).toEqual(['kill-switch']);
    });

    it('only reports with sectionTamper: report, and assertSectionsIntact throws POLICY_SECTIONS_TAMPERED', async () => {
      const policy = await policyOn(store(), { ...SECTIONS, sectionTamper: 'report' });
      await expect(policy.assertSectionsIntact([{ name: 'safety', text: `${SAFETY_TEXT}\n` }])).rejects.toMatchObject({
        code: 'POLICY_SECTIONS_TAMPERED',
        details: { sections: [expect.objectContaining({ name: 'safety', status: 'tampered', difference: 'whitespace' })] },
      });
      await expect(policy.assertSectionsIntact([])).rejects.toMatchObject({ code: 'POLICY_SECTIONS_TAMPERED' });
      expect((await policy.killSwitch.state()).engaged).toBe(false);
    });

    it("allows a person to write an immutable section with exactly its declared text (seeding or restoring), nothing else", async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { ...SECTIONS, audit: memory });
      const seed = await policy.review({ kind: 'change-prompt-section', origin: 'person', name: 'safety', fromVersion: undefined, text: SAFETY_TEXT }, { now: 1 });
      expect(seed.outcome).toBe('allow');
      expect(rulesOf(seed)).toEqual(['immutable-sections', 'risk-approval']);
      expect(seed.reasons[0]?.detail).toMatch(/exactly its declared text \(sha256 [0-9a-f]{12}…\)/);
      const restore = await policy.review({ kind: 'change-prompt-section', origin: 'person', name: 'safety', fromVersion: 2, text: SAFETY_TEXT }, { now: 2 });
      expect(restore.outcome).toBe('allow');
      // The agent may not, not even byte for byte; a person may not write anything else.
      const denied: Change[] = [
        { kind: 'change-prompt-section', origin: 'agent', name: 'safety', fromVersion: undefined, text: SAFETY_TEXT },
        { kind: 'change-prompt-section', origin: 'person', name: 'safety', fromVersion: 1, text: `${SAFETY_TEXT}\n` },
        { kind: 'change-prompt-section', origin: 'person', name: 'safety', fromVersion: 1, text: SAFETY_TEXT.replace('Never', 'N\u0435ver') },
        { kind: 'add-learned-rule', origin: 'person', name: 'safety', text: SAFETY_TEXT },
      ];
      for (const change of denied) expect(rulesOf(await policy.review(change, { now: 3 }))).toEqual(['immutable-sections']);
      // The kill switch still decides alone.
      await policy.killSwitch.engage({ by: 'ana', reason: 'drill' });
      expect(rulesOf(await policy.review({ kind: 'change-prompt-section', origin: 'person', name: 'safety', fromVersion: undefined, text: SAFETY_TEXT }, { now: 4 }))).toEqual(['kill-switch']);
    });
  });
}
