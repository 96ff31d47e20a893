import { describe, expect, it } from 'vitest';
import { createPolicy } from '../index.js';
import { createTool, diagnosis, rewriteTool, rulesOf, toolVersion, verdict } from '../test-support/changes.js';
import { DIALECTS, skipDialect } from '../test-support/databases.js';
import { policyOn, useTestStore } from '../test-support/fixture.js';
import type { SafetyPolicy } from '../index.js';

const MINUTE = 60_000;
const NO_RATE_LIMITS = { evolution: { rewritesPerTool: { max: 100 }, changesPerHour: 1000 } } as const;

async function rewriteWithScores(policy: SafetyPolicy, scores: readonly number[]): Promise<void> {
  for (const [index, score] of scores.entries()) {
    const decision = await policy.review(rewriteTool('sum_values', { variant: index + 1 }), {
      now: (index + 1) * 1000,
      diagnosis: diagnosis('sum_values', score),
      verdict: verdict('sum_values'),
    });
    expect(decision.outcome).toBe('allow');
  }
}

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`trajectory guards (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('freezes a tool rewritten repeatedly without measured improvement, across restarts, until a person unfreezes it', async () => {
      const memory = await store().memory();
      const policy = policyOn(store(), { ...NO_RATE_LIMITS, audit: memory });
      await rewriteWithScores(policy, [0.5, 0.52, 0.49]);
      const frozen = await policy.review(rewriteTool('sum_values', { variant: 9 }), { now: 9000, diagnosis: diagnosis('sum_values', 0.5), verdict: verdict('sum_values') });
      expect(frozen.outcome).toBe('deny');
      expect(rulesOf(frozen)).toEqual(['trajectory-freeze']);
      expect(frozen.reasons[0]?.detail).toMatch(/score 0\.50 before, best 0\.52 since, improvement needed 0\.05/);
      expect(await policy.frozen()).toEqual([{ name: 'sum_values', at: 9000, reason: 'rewritten repeatedly without measured improvement' }]);

      const restarted = createPolicy({ database: await store().reopen(), ...NO_RATE_LIMITS });
      const later = await restarted.review(rewriteTool('sum_values', { variant: 10 }), { now: 10_000, diagnosis: diagnosis('sum_values', 0.1), verdict: verdict('sum_values') });
      expect(rulesOf(later)).toEqual(['trajectory-freeze']);
      expect(later.reasons[0]?.detail).toMatch(/is frozen/);
      // A person may still change it.
      expect((await restarted.review(rewriteTool('sum_values', { origin: 'person', variant: 11 }), { now: 11_000 })).outcome).toBe('allow');

      expect(await restarted.unfreeze('sum_values', { by: 'ana', reason: 'reviewed the failures' })).toBe(true);
      expect(await restarted.unfreeze('sum_values', { by: 'ana', reason: 'again' })).toBe(false);
      expect(await restarted.frozen()).toEqual([]);
      expect((await restarted.review(rewriteTool('sum_values', { variant: 12 }), { now: 12_000, diagnosis: diagnosis('sum_values', 0.5), verdict: verdict('sum_values') })).outcome).toBe(
        'allow',
      );
      expect((await memory.auditLog()).map((entry) => entry.action)).toContain('policy.freeze');
    });

    it('keeps rewriting a tool whose score improves', async () => {
      const policy = policyOn(store(), NO_RATE_LIMITS);
      await rewriteWithScores(policy, [0.5, 0.6, 0.7, 0.8, 0.85]);
    });

    it('counts missing diagnoses as no improvement, and follows freezeAfter and minImprovement', async () => {
      const policy = policyOn(store(), { ...NO_RATE_LIMITS, trajectory: { freezeAfter: 2, minImprovement: 0.3 } });
      await rewriteWithScores(policy, [0.5, 0.7]);
      const decision = await policy.review(rewriteTool('sum_values', { variant: 7 }), { now: 7000, verdict: verdict('sum_values') });
      expect(rulesOf(decision)).toEqual(['trajectory-freeze']);
    });

    it('denies metric gaming: outputs that differ from the golden ones while the candidate gets faster', async () => {
      const policy = policyOn(store());
      const context = { now: 1, current: toolVersion('sum_values') };
      const gamed = verdict('sum_values', { cases: [{ candidateMs: 1, baselineMs: 9 }, { candidateMs: 1, baselineMs: 9, outputDiff: '- 3\n+ 3.0001' }] });
      const decision = await policy.review(rewriteTool('sum_values'), { ...context, verdict: gamed });
      expect(rulesOf(decision)).toEqual(['metric-gaming']);
      expect(decision.reasons[0]?.detail).toMatch(/case-2.*2\.0 ms against 18\.0 ms over 2 cases/);
    });

    it('denies metric gaming seen only in shadow runs, and lets through a faster candidate with golden outputs', async () => {
      const policy = policyOn(store());
      const shadowed = { ...verdict('sum_values'), shadow: { runs: 50, agreement: 0.9, candidateP50Ms: 1, baselineP50Ms: 4 } };
      expect(rulesOf(await policy.review(rewriteTool('sum_values'), { now: 1, verdict: shadowed }))).toEqual(['metric-gaming']);
      const honest = verdict('sum_values', { cases: [{ candidateMs: 1, baselineMs: 9 }, { candidateMs: 1, baselineMs: 9 }] });
      expect((await policy.review(rewriteTool('sum_values', { variant: 2 }), { now: 2, verdict: honest })).outcome).toBe('allow');
    });

    it('does not call different but slower outputs gaming, and can be switched off', async () => {
      const slowerDifferent = verdict('sum_values', { cases: [{ candidateMs: 9, baselineMs: 1, outputDiff: '- 3\n+ 4' }] });
      expect((await policyOn(store()).review(rewriteTool('sum_values'), { now: 1, verdict: slowerDifferent })).outcome).toBe('allow');
      const fasterDifferent = verdict('sum_values', { cases: [{ candidateMs: 1, baselineMs: 9, outputDiff: '- 3\n+ 4' }] });
      expect((await policyOn(store(), { trajectory: { metricGaming: false } }).review(rewriteTool('sum_values', { variant: 5 }), { now: 2, verdict: fasterDifferent })).outcome).toBe(
        'allow',
      );
    });

    it('throttles an accelerating rate of changes but not a steady one', async () => {
      const config = {
        evolution: { changesPerHour: 1000, maxTools: 1000 },
        trajectory: { acceleration: { windowMs: 10 * MINUTE, lookbackWindows: 6, factor: 3, minChanges: 4 } },
      };
      const policy = policyOn(store(), config);
      const now = 100 * MINUTE;
      let index = 0;
      const create = (at: number) => {
        index++;
        return policy.review(createTool(`tool_${index}`), { now: at, verdict: verdict(`tool_${index}`) });
      };
      // A steady rate: one change per window for an hour.
      for (const minutesAgo of [65, 55, 45, 35, 25, 15]) expect((await create(now - minutesAgo * MINUTE)).outcome).toBe('allow');
      // Three in the current window is within 3x the average of one.
      for (const minutesAgo of [8, 6]) expect((await create(now - minutesAgo * MINUTE)).outcome).toBe('allow');
      expect((await create(now - 4 * MINUTE)).outcome).toBe('allow');
      // The fourth accelerates past it.
      const throttled = await create(now);
      expect(throttled.outcome).toBe('deny');
      expect(rulesOf(throttled)).toEqual(['trajectory-acceleration']);
      expect(throttled.reasons[0]?.detail).toMatch(/4 changes in the last 10 min \(this one included\) against an average of 1\.0/);
      // Later, once the burst has left the window, changes flow again.
      expect((await create(now + 11 * MINUTE)).outcome).toBe('allow');
    });
  });
}
