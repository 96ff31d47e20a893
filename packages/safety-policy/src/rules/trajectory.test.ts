import { describe, expect, it } from 'vitest';
import { createPolicy } from '../index.js';
import { judgeAcceleration, retryTime } from './trajectory.js';
import { createTool, diagnosis, pureSource, rewriteTool, rulesOf, toolVersion, verdict } from '../test-support/changes.js';
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

describe('judgeAcceleration and retryTime', () => {
  const limits = { windowMs: 10, lookbackWindows: 3, minActiveWindows: 2, factor: 2, minChanges: 3 };

  it('counts the current window with the proposed change, and the lookback windows apart', () => {
    // At 100: current window (90, 100]; lookback windows (80, 90], (70, 80], [60, 70].
    expect(judgeAcceleration([95, 99, 85, 61], 100, limits)).toEqual({ current: 3, average: 2 / 3, activeWindows: 2, throttled: true });
    expect(judgeAcceleration([95, 99, 85], 100, limits)).toMatchObject({ activeWindows: 1, throttled: false });
    expect(judgeAcceleration([95, 85, 61], 100, limits)).toMatchObject({ current: 2, throttled: false });
  });

  it('finds the first moment the change would pass: here when the oldest lookback change leaves, so too little history is left', () => {
    // Throttled at 100. Just after 101 (61 + 40) the change at 61 leaves the lookback: one active
    // window is left, so acceleration is no longer judged.
    const times = [95, 99, 85, 61];
    expect(judgeAcceleration(times, 101, limits).throttled).toBe(true);
    expect(retryTime(times, 100, limits)).toBe(102);
    expect(judgeAcceleration(times, 102, limits).throttled).toBe(false);
    // With the history kept, it is when the burst leaves the current window.
    expect(retryTime([95, 99, 85, 75], 100, limits)).toBe(105);
    expect(retryTime([99], 100, { ...limits, minActiveWindows: 0, minChanges: 1 })).toBeUndefined();
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`trajectory guards (${dialect})`, () => {
    const store = useTestStore(dialect);

    it('freezes a tool rewritten repeatedly without measured improvement, across restarts, until a person unfreezes it', async () => {
      const memory = await store().memory();
      const policy = await policyOn(store(), { ...NO_RATE_LIMITS, audit: memory });
      await rewriteWithScores(policy, [0.5, 0.52, 0.49]);
      const frozen = await policy.review(rewriteTool('sum_values', { variant: 9 }), { now: 9000, diagnosis: diagnosis('sum_values', 0.5), verdict: verdict('sum_values') });
      expect(frozen.outcome).toBe('deny');
      expect(rulesOf(frozen)).toEqual(['trajectory-freeze']);
      expect(frozen.reasons[0]?.detail).toMatch(/score 0\.50 before, best 0\.52 since, improvement needed 0\.05/);
      expect(await policy.frozen()).toEqual([{ name: 'sum_values', at: 9000, reason: 'rewritten repeatedly without measured improvement' }]);

      const restarted = await createPolicy({ database: await store().reopen(), ...NO_RATE_LIMITS });
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
      const policy = await policyOn(store(), NO_RATE_LIMITS);
      await rewriteWithScores(policy, [0.5, 0.6, 0.7, 0.8, 0.85]);
    });

    it('counts missing diagnoses as no improvement, and follows freezeAfter and minImprovement', async () => {
      const policy = await policyOn(store(), { ...NO_RATE_LIMITS, trajectory: { freezeAfter: 2, minImprovement: 0.3 } });
      await rewriteWithScores(policy, [0.5, 0.7]);
      const decision = await policy.review(rewriteTool('sum_values', { variant: 7 }), { now: 7000, verdict: verdict('sum_values') });
      expect(rulesOf(decision)).toEqual(['trajectory-freeze']);
    });

    it('denies metric gaming: outputs that differ from the golden ones while the candidate gets faster', async () => {
      const policy = await policyOn(store());
      const context = { now: 1, current: toolVersion('sum_values') };
      const gamed = verdict('sum_values', { cases: [{ candidateMs: 1, baselineMs: 9 }, { candidateMs: 1, baselineMs: 9, outputDiff: '- 3\n+ 3.0001' }] });
      const decision = await policy.review(rewriteTool('sum_values'), { ...context, verdict: gamed });
      expect(rulesOf(decision)).toEqual(['metric-gaming']);
      expect(decision.reasons[0]?.detail).toMatch(/case-2.*2\.0 ms against 18\.0 ms over 2 cases/);
    });

    it('denies metric gaming seen only in shadow runs, and lets through a faster candidate with golden outputs', async () => {
      const policy = await policyOn(store());
      const shadowed = { ...verdict('sum_values'), shadow: { runs: 50, agreement: 0.9, candidateP50Ms: 1, baselineP50Ms: 4 } };
      expect(rulesOf(await policy.review(rewriteTool('sum_values'), { now: 1, verdict: shadowed }))).toEqual(['metric-gaming']);
      const honest = verdict('sum_values', { cases: [{ candidateMs: 1, baselineMs: 9 }, { candidateMs: 1, baselineMs: 9 }] });
      expect((await policy.review(rewriteTool('sum_values', { variant: 2 }), { now: 2, verdict: honest })).outcome).toBe('allow');
    });

    it('does not call different but slower outputs gaming, and can be switched off', async () => {
      const slowerDifferent = verdict('sum_values', { cases: [{ candidateMs: 9, baselineMs: 1, outputDiff: '- 3\n+ 4' }] });
      expect((await (await policyOn(store())).review(rewriteTool('sum_values'), { now: 1, verdict: slowerDifferent })).outcome).toBe('allow');
      const fasterDifferent = verdict('sum_values', { cases: [{ candidateMs: 1, baselineMs: 9, outputDiff: '- 3\n+ 4' }] });
      expect((await (await policyOn(store(), { trajectory: { metricGaming: false } })).review(rewriteTool('sum_values', { variant: 5 }), { now: 2, verdict: fasterDifferent })).outcome).toBe(
        'allow',
      );
    });

    it('throttles accelerating rewrites but not a steady rate, and says when to try again', async () => {
      const config = { evolution: { changesPerHour: 1000, maxTools: 1000 }, trajectory: { acceleration: { minChanges: 4 } } };
      const policy = await policyOn(store(), config);
      const now = 100 * MINUTE;
      let index = 0;
      const rewrite = (at: number) => {
        index++;
        return policy.review(rewriteTool(`tool_${index}`, { variant: index }), { now: at, verdict: verdict(`tool_${index}`) });
      };
      // A steady rate: one rewrite per window for an hour.
      for (const minutesAgo of [65, 55, 45, 35, 25, 15]) expect((await rewrite(now - minutesAgo * MINUTE)).outcome).toBe('allow');
      // Three in the current window is within 3x the average of one.
      for (const minutesAgo of [8, 6, 4]) expect((await rewrite(now - minutesAgo * MINUTE)).outcome).toBe('allow');
      // The fourth accelerates past it.
      const throttled = await rewrite(now);
      expect(throttled.outcome).toBe('deny');
      expect(rulesOf(throttled)).toEqual(['trajectory-acceleration']);
      const detail = throttled.reasons[0]?.detail ?? '';
      expect(detail).toMatch(/4 changes other than new tools in the last 10 min \(this one included\) against an average of 1\.0 per 10 min over the 6 windows before \(6 of them active\)/);
      // The oldest of the burst (8 min ago) leaves the window in 2 min: then three are in it again.
      const retryAt = now + 2 * MINUTE;
      expect(detail).toContain(`may be proposed again at ${new Date(retryAt).toISOString()} (in 2 min)`);
      expect((await rewrite(retryAt - 1)).outcome).toBe('deny');
      expect((await rewrite(retryAt)).outcome).toBe('allow');
    });

    it("does not take a young agent's first burst of new tools for acceleration", async () => {
      // Default limits: a brand-new agent learns thirteen tools in a minute.
      const policy = await policyOn(store());
      for (let index = 1; index <= 13; index++) {
        const decision = await policy.review(createTool(`tool_${index}`, { source: pureSource(index) }), { now: 1000 * index, verdict: verdict(`tool_${index}`) });
        expect({ index, outcome: decision.outcome, reasons: decision.reasons }).toEqual({ index, outcome: 'allow', reasons: expect.anything() });
      }
    });

    it("still bounds a young agent's burst of rewrites: the hourly cap stops it, with no history needed", async () => {
      const policy = await policyOn(store());
      for (let index = 1; index <= 20; index++) {
        expect((await policy.review(rewriteTool(`tool_${index}`, { variant: index }), { now: 1000 * index, verdict: verdict(`tool_${index}`) })).outcome).toBe('allow');
      }
      const stopped = await policy.review(rewriteTool('tool_21', { variant: 21 }), { now: 21_000, verdict: verdict('tool_21') });
      expect(rulesOf(stopped)).toEqual(['change-rate']);
    });

    it('counts new tools apart from rewrites: an established agent learning new tools is not throttled by its rewrite rate', async () => {
      const config = { evolution: { changesPerHour: 1000, maxTools: 1000 } };
      const policy = await policyOn(store(), config);
      const now = 100 * MINUTE;
      // A steady history of one rewrite per window.
      for (const [index, minutesAgo] of [65, 55, 45, 35, 25, 15].entries()) {
        expect((await policy.review(rewriteTool(`old_${index}`, { variant: 100 + index }), { now: now - minutesAgo * MINUTE, verdict: verdict(`old_${index}`) })).outcome).toBe('allow');
      }
      // Eleven new tools in the current window: their own stream has no history, so no acceleration.
      for (let index = 1; index <= 11; index++) {
        const at = now - 9 * MINUTE + index * 1000;
        expect((await policy.review(createTool(`new_${index}`, { source: pureSource(index) }), { now: at, verdict: verdict(`new_${index}`) })).outcome).toBe('allow');
      }
      // Six rewrites in the same window are accelerating rewrites (6 > 3 × 1.0), whatever the new tools.
      for (let index = 1; index <= 5; index++) {
        expect((await policy.review(rewriteTool(`new_${index}`, { variant: 200 + index }), { now: now - 60_000 + index, verdict: verdict(`new_${index}`) })).outcome).toBe('allow');
      }
      const rewrites = await policy.review(rewriteTool('new_6', { variant: 206 }), { now, verdict: verdict('new_6') });
      expect(rulesOf(rewrites)).toEqual(['trajectory-acceleration']);
      expect(rewrites.reasons[0]?.detail).toMatch(/^Throttled: 6 changes other than new tools/);
    });

    it('throttles accelerating new tools against their own history, with their own thresholds', async () => {
      const config = { evolution: { changesPerHour: 1000, maxTools: 1000 }, trajectory: { acceleration: { newTools: { minChanges: 5 } } } };
      const policy = await policyOn(store(), config);
      const now = 100 * MINUTE;
      let index = 0;
      const create = (at: number) => {
        index++;
        return policy.review(createTool(`tool_${index}`, { source: pureSource(index) }), { now: at, verdict: verdict(`tool_${index}`) });
      };
      for (const minutesAgo of [55, 45, 35]) expect((await create(now - minutesAgo * MINUTE)).outcome).toBe('allow');
      for (let burst = 4; burst >= 1; burst--) expect((await create(now - burst * 1000)).outcome).toBe('allow');
      const throttled = await create(now);
      expect(rulesOf(throttled)).toEqual(['trajectory-acceleration']);
      expect(throttled.reasons[0]?.detail).toMatch(/^Throttled: 5 new tools in the last 10 min \(this one included\) against an average of 0\.5 per 10 min over the 6 windows before \(3 of them active\)/);
      expect(throttled.reasons[0]?.detail).toMatch(/may be proposed again at \S+ \(in 9 min 56 s\)/);
    });

    it('judges from the first change when minActiveWindows is 0 (the old behaviour)', async () => {
      const policy = await policyOn(store(), { trajectory: { acceleration: { minActiveWindows: 0, newTools: { minChanges: 6 } } } });
      for (let index = 1; index <= 5; index++) {
        expect((await policy.review(createTool(`tool_${index}`, { source: pureSource(index) }), { now: 1000 * index, verdict: verdict(`tool_${index}`) })).outcome).toBe('allow');
      }
      const throttled = await policy.review(createTool('tool_6', { source: pureSource(6) }), { now: 6000, verdict: verdict('tool_6') });
      expect(rulesOf(throttled)).toEqual(['trajectory-acceleration']);
      expect(throttled.reasons[0]?.detail).toMatch(/against an average of 0\.0 per 10 min over the 6 windows before \(0 of them active\)/);
      // The burst leaves the window 10 min after its first change.
      expect(throttled.reasons[0]?.detail).toContain(`may be proposed again at ${new Date(1000 + 10 * MINUTE).toISOString()} (in 9 min 55 s)`);
    });
  });
}
