import { openDatabase, runInUnit } from '@toolwright/store';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { SafetyPolicy } from './index.js';
import { createTool, diagnosis, fetchSource, fetchTo, rewriteTool, rulesOf, verdict } from './test-support/changes.js';
import { DIALECTS, skipDialect, type TestStore } from './test-support/databases.js';
import { policyOn, SAFETY_TEXT, useTestStore } from './test-support/fixture.js';

const API = 'https://api.example.com';
const networkTool = (name: string) => createTool(name, { capabilities: [fetchTo(API)], source: fetchSource(`${API}/${name}`) });

async function counts(store: TestStore): Promise<{ ledger: number; approvals: number; rules: number }> {
  const count = async (table: string) =>
    Number((await sql<{ count: number | string }>`select count(*) as count from ${sql.table(table)}`.execute(store.db.kysely)).rows[0]?.count ?? 0);
  return { ledger: await count('toolwright_policy_ledger'), approvals: await count('toolwright_policy_approvals'), rules: await count('toolwright_policy_learned_rules') };
}

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`review in a unit, and assess (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('records the review inside the caller\'s transaction: a rolled-back unit leaves no ledger row and no approval', async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { capabilities: { envelope: [fetchTo(API)] }, audit: memory });
      const failure = new Error('the registry transition failed');
      await expect(
        runInUnit(store().db, async (unit) => {
          const queued = await policy.review(networkTool('rates'), { now: 1, verdict: verdict('rates') }, { unit });
          expect(queued).toMatchObject({ outcome: 'needs-approval', approvalId: expect.any(String), ledgerId: expect.any(String) });
          const allowed = await policy.review(createTool('sum_values'), { now: 2, verdict: verdict('sum_values') }, { unit });
          expect(allowed.outcome).toBe('allow');
          // Inside the unit the review is visible to what follows it.
          expect((await policy.review(createTool('sum_values', { source: 'export default () => 2;\n' }), { now: 3, verdict: verdict('sum_values') }, { unit })).outcome).toBe('deny');
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await counts(store())).toEqual({ ledger: 0, approvals: 0, rules: 0 });
      expect(await policy.approvals.list()).toEqual([]);
      expect(await memory.auditLog()).toEqual([]);
      // The same change is new again afterwards.
      expect((await policy.review(createTool('sum_values'), { now: 4, verdict: verdict('sum_values') })).outcome).toBe('allow');
    });

    it('commits with the unit, carries the ledger row id, and writes no audit entry of its own', async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { audit: memory, immutableSections: [{ name: 'safety', text: SAFETY_TEXT }], approval: { learnedRule: 'allow' } });
      const decision = await runInUnit(store().db, (unit) =>
        policy.review({ kind: 'add-learned-rule', origin: 'agent', name: 'learned.units', text: 'Always use metric units.' }, { now: 5 }, { unit }),
      );
      expect(decision).toMatchObject({ outcome: 'allow', ledgerId: expect.stringMatching(/^\d+$/) });
      const row = await sql<{ id: number | string; event: string; change_hash: string }>`select id, event, change_hash from toolwright_policy_ledger where id = ${Number(decision.ledgerId)}`.execute(
        store().db.kysely,
      );
      expect(row.rows).toEqual([{ id: expect.anything(), event: 'review', change_hash: decision.changeHash }]);
      expect((await policy.learnedRules()).map((rule) => rule.name)).toEqual(['learned.units']);
      expect(await memory.auditLog()).toEqual([]);
      // Without a unit the review audits itself, with the ledger id.
      const own = await policy.review({ kind: 'pin', origin: 'person', name: 'sum_values' }, { now: 6 });
      expect((await memory.auditLog())[0]).toMatchObject({ action: 'policy.allow', evidence: { ledgerId: own.ledgerId } });
    });

    it('refuses a unit opened on another database handle', async () => {
      const policy = await policyOn(store());
      const other = await openDatabase('sqlite::memory:');
      try {
        await expect(runInUnit(other, (unit) => policy.review({ kind: 'pin', origin: 'agent', name: 'x' }, { now: 1 }, { unit }))).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
      } finally {
        await other.close();
      }
      expect(await counts(store())).toMatchObject({ ledger: 0 });
    });

    it('assess: the same rules and facts as review, recording nothing and queueing nothing', async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { capabilities: { envelope: [fetchTo(API)] }, audit: memory, trajectory: { freezeAfter: 2 }, evolution: { maxTools: 1 } });
      const assessAndReview = async (target: SafetyPolicy, ...args: Parameters<SafetyPolicy['review']>) => {
        const before = await counts(store());
        const audited = (await memory.auditLog()).length;
        const assessed = await target.assess(args[0], args[1]);
        expect(await counts(store())).toEqual(before);
        expect((await memory.auditLog()).length).toBe(audited);
        const reviewed = await target.review(...args);
        expect({ outcome: assessed.outcome, reasons: assessed.reasons, changeHash: assessed.changeHash }).toEqual({
          outcome: reviewed.outcome,
          reasons: reviewed.reasons,
          changeHash: reviewed.changeHash,
        });
        expect(assessed.approvalId).toBeUndefined();
        expect(assessed.ledgerId).toBeUndefined();
        return assessed;
      };
      expect((await assessAndReview(policy, networkTool('rates'), { now: 1, verdict: verdict('rates') })).outcome).toBe('needs-approval');
      expect((await assessAndReview(policy, rewriteTool('rates', { variant: 1 }), { now: 2, diagnosis: diagnosis('rates', 0.5), verdict: verdict('rates') })).outcome).toBe('allow');
      expect((await assessAndReview(policy, rewriteTool('rates', { variant: 2 }), { now: 3, diagnosis: diagnosis('rates', 0.5), verdict: verdict('rates') })).outcome).toBe('allow');
      // The review that freezes records the freeze; the assessment before it does not.
      const freezing = rewriteTool('rates', { variant: 3 });
      expect(rulesOf(await policy.assess(freezing, { now: 4, diagnosis: diagnosis('rates', 0.5), verdict: verdict('rates') }))).toEqual(['trajectory-freeze']);
      expect(await policy.frozen()).toEqual([]);
      await policy.review(freezing, { now: 4, diagnosis: diagnosis('rates', 0.5), verdict: verdict('rates') });
      expect((await policy.frozen()).map((frozen) => frozen.name)).toEqual(['rates']);
      // The kill switch and the caps answer the same way in a dry run.
      await assessAndReview(policy, createTool('second_tool'), { now: 5, verdict: verdict('second_tool') });
      await policy.killSwitch.engage({ by: 'ana', reason: 'drill' });
      expect(rulesOf(await assessAndReview(policy, createTool('third_tool'), { now: 6, verdict: verdict('third_tool') }))).toEqual(['kill-switch']);
      expect((await policy.approvals.list()).length).toBe(1);
    });

    it('assess with assumeTested judges a tool before its cases ran as it will be once they pass', async () => {
      const policy = await policyOn(store(), { capabilities: { envelope: [fetchTo(API)] }, approval: { untestedTool: 'deny' } });
      expect(rulesOf(await policy.assess(createTool('sum_values'), { now: 1 }))).toEqual(['risk-approval']);
      expect((await policy.assess(createTool('sum_values'), { now: 1 })).outcome).toBe('deny');
      const pure = await policy.assess(createTool('sum_values'), { now: 1 }, { assumeTested: true });
      expect(pure).toMatchObject({ outcome: 'allow', reasons: [{ rule: 'risk-approval', detail: expect.stringMatching(/once its regression cases pass/) }] });
      // A network tool still needs a person; the other rules still deny.
      expect((await policy.assess(networkTool('rates'), { now: 1 }, { assumeTested: true })).outcome).toBe('needs-approval');
      const outside = createTool('leaky', { capabilities: [fetchTo('https://evil.example')], source: fetchSource('https://evil.example/x') });
      expect(rulesOf(await policy.assess(outside, { now: 1 }, { assumeTested: true }))).toEqual(['capability-envelope']);
      // The recorded review judges by the verdict it is given.
      expect((await policy.review(createTool('sum_values'), { now: 2 })).outcome).toBe('deny');
      expect(await counts(store())).toMatchObject({ approvals: 0 });
    });

    it('assess inside a unit reads what the unit wrote so far', async () => {
      const policy = await policyOn(store(), { evolution: { maxTools: 1 } });
      await runInUnit(store().db, async (unit) => {
        await policy.review(createTool('tool_a'), { now: 1, verdict: verdict('tool_a') }, { unit });
        expect(rulesOf(await policy.assess(createTool('tool_b', { source: 'export default () => 7;\n' }), { now: 2, verdict: verdict('tool_b') }, { unit }))).toEqual(['max-tools']);
      });
    });
  });
}
