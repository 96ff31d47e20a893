import type { Change } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../index.js';
import { createTool, fetchTo, rulesOf, verdict } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, useTestStore } from '../test-support/fixture.js';

const pin = { kind: 'pin', origin: 'agent', name: 'sum_values' } as const;

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`kill-switch (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('is off by default, and engaging it denies every kind of change with the kill-switch reason alone', async () => {
      const policy = await policyOn(store());
      expect(await policy.killSwitch.state()).toEqual({ engaged: false });
      expect((await policy.review(pin, { now: 1 })).outcome).toBe('allow');
      const state = await policy.killSwitch.engage({ by: 'ana', reason: 'incident 42' });
      expect(state).toEqual({ engaged: true, by: 'ana', reason: 'incident 42', at: 1_000_000 });
      const changes: Change[] = [
        createTool('sum_values'),
        pin,
        { kind: 'add-learned-rule', origin: 'agent', name: 'greet', text: 'Always greet the user.' },
        { kind: 'grant-capability', origin: 'person', capability: fetchTo('https://a.example') },
        { kind: 'import-bundle', origin: 'person', bundleHash: 'c'.repeat(64), names: ['sum_values'] },
        { kind: 'import-bundle', origin: 'agent', bundleHash: 'c'.repeat(64), names: ['sum_values'] },
      ];
      for (const change of changes) {
        const decision = await policy.review(change, { now: 2, verdict: verdict('sum_values') });
        expect(decision.outcome).toBe('deny');
        expect(rulesOf(decision)).toEqual(['kill-switch']);
      }
    });

    it('is persisted: another process on the same database sees it, and releasing it lets changes through again', async () => {
      const first = await policyOn(store());
      await first.killSwitch.engage({ by: 'ana', reason: 'investigating' });
      const second = await createPolicy({ database: await store().reopen() });
      expect((await second.killSwitch.state()).engaged).toBe(true);
      expect(rulesOf(await second.review(createTool('sum_values'), { now: 1, verdict: verdict('sum_values') }))).toEqual(['kill-switch']);
      await second.killSwitch.release({ by: 'ana', reason: 'resolved' });
      expect(await first.killSwitch.state()).toMatchObject({ engaged: false, by: 'ana', reason: 'resolved' });
      expect((await first.review(createTool('sum_values'), { now: 2, verdict: verdict('sum_values') })).outcome).toBe('allow');
    });

    it('lets a person through when configured with appliesToPersons: false', async () => {
      const policy = await policyOn(store(), { killSwitch: { appliesToPersons: false } });
      await policy.killSwitch.engage({ by: 'ana', reason: 'incident' });
      expect((await policy.review({ ...pin, origin: 'person' }, { now: 1 })).outcome).toBe('allow');
      expect(rulesOf(await policy.review(pin, { now: 1 }))).toEqual(['kill-switch']);
    });

    it('audits engage and release', async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { audit: memory });
      await policy.killSwitch.engage({ by: 'ana', reason: 'incident' });
      await policy.killSwitch.release({ by: 'bo', reason: 'fixed' });
      const log = await memory.auditLog();
      expect(log.map((entry) => [entry.action, entry.actor, entry.reason])).toEqual([
        ['policy.kill-switch.release', { kind: 'person', id: 'bo' }, 'fixed'],
        ['policy.kill-switch.engage', { kind: 'person', id: 'ana' }, 'incident'],
      ]);
    });

    it('validates who flips it and why', async () => {
      const policy = await policyOn(store());
      await expect(policy.killSwitch.engage({ by: '', reason: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(policy.killSwitch.release({ by: 'ana' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
}
