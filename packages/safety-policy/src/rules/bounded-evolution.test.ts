import { describe, expect, it } from 'vitest';
import { createPolicy } from '../index.js';
import { createTool, diagnosis, rewriteTool, rulesOf, toolVersion, verdict } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, useTestStore } from '../test-support/fixture.js';

const HOUR = 3_600_000;
const tested = (name: string, now: number) => ({ now, verdict: verdict(name) });

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`bounded evolution (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('max-tools: the agent creates at most maxTools tools, counted across restarts', async () => {
      const policy = await policyOn(store(), { evolution: { maxTools: 2 } });
      expect((await policy.review(createTool('tool_a'), tested('tool_a', 1))).outcome).toBe('allow');
      expect((await policy.review(createTool('tool_b'), tested('tool_b', 2))).outcome).toBe('allow');
      const restarted = await createPolicy({ database: await store().reopen(), evolution: { maxTools: 2 } });
      const third = await restarted.review(createTool('tool_c'), tested('tool_c', 3));
      expect(third.outcome).toBe('deny');
      expect(rulesOf(third)).toEqual(['max-tools']);
      expect(third.reasons[0]?.detail).toMatch(/already has 2 tools/);
      // A person is not capped.
      expect((await restarted.review(createTool('tool_c', { origin: 'person' }), tested('tool_c', 4))).outcome).toBe('allow');
    });

    it('tool-identity: the agent cannot create a tool that exists (by ledger or by context)', async () => {
      const policy = await policyOn(store());
      await policy.review(createTool('tool_a'), tested('tool_a', 1));
      expect(rulesOf(await policy.review(createTool('tool_a', { source: 'export default () => 1;' }), tested('tool_a', 2)))).toEqual(['tool-identity']);
      expect(rulesOf(await policy.review(createTool('tool_b'), { ...tested('tool_b', 3), current: toolVersion('tool_b') }))).toEqual(['tool-identity']);
    });

    it('rewrite-rate: at most N rewrites of one tool per sliding window, across restarts, keyed on the source too; other tools are unaffected', async () => {
      const config = { evolution: { rewritesPerTool: { max: 2, windowMs: HOUR } }, trajectory: { freezeAfter: 10 } };
      const policy = await policyOn(store(), config);
      expect((await policy.review(rewriteTool('tool_a', { variant: 1 }), tested('tool_a', 0))).outcome).toBe('allow');
      expect((await policy.review(rewriteTool('tool_a', { variant: 2 }), tested('tool_a', 1000))).outcome).toBe('allow');
      const restarted = await createPolicy({ database: await store().reopen(), ...config });
      const third = await restarted.review(rewriteTool('tool_a', { variant: 3 }), tested('tool_a', 2000));
      expect(rulesOf(third)).toEqual(['rewrite-rate']);
      expect(third.reasons[0]?.detail).toMatch(/rewritten 2 times in the last 1 h \(maximum 2\)/);
      expect((await restarted.review(rewriteTool('tool_b', { variant: 4 }), tested('tool_b', 2000))).outcome).toBe('allow');
      // The source refused for tool_a is bound by tool_a's cap under any name.
      const renamed = await restarted.review(rewriteTool('tool_b', { variant: 3 }), tested('tool_b', 2001));
      expect(rulesOf(renamed)).toEqual(['rewrite-rate']);
      expect(renamed.reasons[0]?.detail).toMatch(/This source was proposed for "tool_a", which was already rewritten 2 times/);
      // Once the first rewrite leaves the window, one more fits.
      expect((await restarted.review(rewriteTool('tool_a', { variant: 3 }), tested('tool_a', HOUR + 1))).outcome).toBe('allow');
    });

    it('change-rate: at most N agent changes in any hour; denied attempts and identical re-reviews do not count', async () => {
      const policy = await policyOn(store(), { evolution: { changesPerHour: 2 } });
      expect((await policy.review(createTool('tool_a'), tested('tool_a', 0))).outcome).toBe('allow');
      // The same change reviewed again is one change, not two.
      expect((await policy.review(createTool('tool_a'), tested('tool_a', 10))).outcome).toBe('deny'); // tool-identity
      expect((await policy.review(createTool('tool_b'), tested('tool_b', 20))).outcome).toBe('allow');
      const third = await policy.review({ kind: 'pin', origin: 'agent', name: 'tool_a' }, { now: 30 });
      expect(rulesOf(third)).toEqual(['change-rate']);
      expect((await policy.review({ kind: 'pin', origin: 'person', name: 'tool_a' }, { now: 40 })).outcome).toBe('allow');
      expect((await policy.review({ kind: 'pin', origin: 'agent', name: 'tool_b' }, { now: HOUR + 1 })).outcome).toBe('allow');
    });

    it('automatic safety rollbacks are not throttled by the agent rate caps, and widening a canary does not use the agent budget', async () => {
      const policy = await policyOn(store(), { evolution: { changesPerHour: 2 }, trajectory: { acceleration: { windowMs: 60_000, lookbackWindows: 3, minActiveWindows: 0, minChanges: 1, factor: 1 } } });
      const current = toolVersion('tool_a', { version: 3 });
      const widen = (toShare: number) => ({ kind: 'widen-rollout', origin: 'agent', name: 'tool_a', experimentId: 'exp-1', version: 3, baselineVersion: 2, fromShare: toShare / 2, toShare }) as const;
      // Widenings are an experiment's steps: they neither hit nor use the hourly budget of changes.
      for (const [index, share] of [0.2, 0.4, 0.8].entries()) {
        const widened = await policy.review(widen(share), { now: 10 + index, current, candidate: current });
        expect(rulesOf(widened)).not.toContain('change-rate');
      }
      expect((await policy.review(createTool('tool_b'), tested('tool_b', 20))).outcome).toBe('allow');
      expect((await policy.review(createTool('tool_c'), tested('tool_c', 30))).outcome).toBe('allow');
      expect(rulesOf(await policy.review({ kind: 'pin', origin: 'agent', name: 'tool_b' }, { now: 40 }))).toContain('change-rate');
      // The budget is spent and the rate accelerates; a rollback to the version that served before still passes, every time.
      for (const [index, toVersion] of [2, 1].entries()) {
        const rollback = await policy.review({ kind: 'rollback', origin: 'agent', name: 'tool_a', fromVersion: toVersion + 1, toVersion }, { now: 50 + index, current });
        expect(rollback.outcome, rollback.reasons.map((reason) => `${reason.rule}: ${reason.detail}`).join('; ')).toBe('allow');
      }
    });

    it('holds the caps under concurrent reviews from two policy instances', async () => {
      const config = { evolution: { maxTools: 1 } };
      const first = await policyOn(store(), config);
      // PostgreSQL: a second pool, as a second process would have. SQLite: the same handle, because
      // two better-sqlite3 connections in one process block each other's event loop; across
      // processes the write lock taken by the review's first statement serialises them.
      const second = await createPolicy({ database: dialect === 'postgres' ? await store().reopen() : store().db, ...config });
      const decisions = await Promise.all([
        first.review(createTool('tool_a'), tested('tool_a', 1)),
        second.review(createTool('tool_b'), tested('tool_b', 1)),
        first.review(createTool('tool_c'), tested('tool_c', 1)),
        second.review(createTool('tool_d'), tested('tool_d', 1)),
      ]);
      expect(decisions.filter((decision) => decision.outcome === 'allow')).toHaveLength(1);
      expect(decisions.filter((decision) => rulesOf(decision).join() === 'max-tools')).toHaveLength(3);
    });

    it('counts a person rewrite in the trajectory but not against the agent rate', async () => {
      const policy = await policyOn(store(), { evolution: { rewritesPerTool: { max: 1, windowMs: HOUR } } });
      await policy.review(rewriteTool('tool_a', { origin: 'person', variant: 1 }), { now: 1, diagnosis: diagnosis('tool_a', 0.5) });
      expect((await policy.review(rewriteTool('tool_a', { variant: 2 }), { ...tested('tool_a', 2), diagnosis: diagnosis('tool_a', 0.9) })).outcome).toBe('allow');
    });
  });
}
