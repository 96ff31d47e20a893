import type { Diagnosis, DiagnosisReason } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { createEvaluator } from './evaluator.js';
import { buildSummary } from './summary-builder.js';

const evaluator = createEvaluator();

// Fast, steady windows whose score is far above the 0.6 threshold even at 85 % success.
const steady = { meanMs: 100, spreadMs: 10 };

describe('comparison with the baseline window: success rate', () => {
  const baseline = buildSummary({ count: 100, successCount: 99, ...steady });
  const dropped = buildSummary({ count: 100, successCount: 85, ...steady });

  it('flags a real fall from 99 % to 85 % although the score is above the threshold', () => {
    const alone = evaluator.evaluate(dropped);
    expect(alone.score).toBeGreaterThan(0.9);
    expect(alone.needsRewrite).toBe(false);

    const diagnosis = evaluator.evaluate(dropped, { baseline });
    expect(diagnosis).toMatchObject({ needsRewrite: true, status: 'degraded' });
    const reason = diagnosis.reasons[0];
    expect(reason).toMatchObject({
      kind: 'regression-vs-baseline',
      metric: 'success-rate',
      observed: 0.85,
      baseline: 0.99,
      details: { count: 100, failures: 15, baselineCount: 100, baselineFailures: 1, significance: 0.01, minDrop: 0.05 },
    });
    // scipy.stats.fisher_exact([[15, 85], [1, 99]], alternative='greater').pvalue
    expect(reason?.pValue).toBeCloseTo(0.0001577256487335013, 12);
    expect(reason?.message).toBe(
      "success rate 0.85 fell from 0.99 (15 of 100 calls failed, against 1 of 100; one-sided Fisher's exact test p = 1.6e-4 < 0.01)",
    );
  });

  it('does not flag a small noisy window, however bad it looks, until it has 30 calls', () => {
    const baseline200 = buildSummary({ count: 200, successCount: 198, ...steady });
    const small = buildSummary({ count: 20, successCount: 17, ...steady });
    expect(evaluator.evaluate(small, { baseline: baseline200 })).toMatchObject({ needsRewrite: false, status: 'healthy' });
    // The minimum sample size is what held it back (Fisher's p is 0.0058 here):
    const eager = createEvaluator({ baseline: { minInvocations: 20 } });
    expect(eager.evaluate(small, { baseline: baseline200 }).needsRewrite).toBe(true);
  });

  it('does not flag a drop the test cannot tell from noise', () => {
    // 92.5 % of 40 against 98 % of 100: a 5.5-point drop, p = 0.14
    const noisy = buildSummary({ count: 40, successCount: 37, ...steady });
    const diagnosis = evaluator.evaluate(noisy, { baseline: buildSummary({ count: 100, successCount: 98, ...steady }) });
    expect(diagnosis).toMatchObject({ needsRewrite: false, status: 'healthy', reasons: [] });
  });

  it('uses the configured significance level', () => {
    // 23 % failures against 3 % over 30 calls each: p = 0.026
    const current = buildSummary({ count: 30, successCount: 23, ...steady });
    const base = buildSummary({ count: 30, successCount: 29, ...steady });
    expect(evaluator.evaluate(current, { baseline: base }).needsRewrite).toBe(false);
    const lenient = createEvaluator({ baseline: { significance: 0.05 } });
    expect(lenient.evaluate(current, { baseline: base }).reasons[0]).toMatchObject({ kind: 'regression-vs-baseline', metric: 'success-rate' });
  });

  it('ignores a significant but tiny drop below the minimum effect size', () => {
    const big = buildSummary({ count: 100_000, successCount: 99_000, ...steady });
    const slightlyWorse = buildSummary({ count: 100_000, successCount: 98_500, ...steady });
    expect(evaluator.evaluate(slightlyWorse, { baseline: big }).needsRewrite).toBe(false);
    const picky = createEvaluator({ baseline: { minSuccessRateDrop: 0.001 } });
    const reason = picky.evaluate(slightlyWorse, { baseline: big }).reasons[0];
    expect(reason).toMatchObject({ kind: 'regression-vs-baseline', metric: 'success-rate' });
    // scipy: fisher_exact([[1500, 98500], [1000, 99000]], alternative='greater').pvalue = 3.5254e-24
    expect((reason?.pValue ?? 1) / 3.525439738989295e-24).toBeCloseTo(1, 6);
  });

  it('does not flag an improvement', () => {
    expect(evaluator.evaluate(baseline, { baseline: dropped })).toMatchObject({ needsRewrite: false, reasons: [] });
  });

  it('gives no verdict at all when the window has fewer than 3 calls', () => {
    const two = buildSummary({ count: 2, successCount: 0, ...steady });
    expect(evaluator.evaluate(two, { baseline })).toMatchObject({ status: 'insufficient-data', needsRewrite: false, reasons: [] });
  });
});

describe('comparison with the baseline window: latency', () => {
  const baseline = buildSummary({ count: 100, meanMs: 200, spreadMs: 50, p95Ms: 300 });

  it('flags a real rise in mean latency, reporting p95 beside the test', () => {
    const slower = buildSummary({ count: 100, meanMs: 400, spreadMs: 100, p95Ms: 700 });
    expect(evaluator.evaluate(slower).needsRewrite).toBe(false);
    const diagnosis = evaluator.evaluate(slower, { baseline });
    expect(diagnosis.needsRewrite).toBe(true);
    const reason = diagnosis.reasons[0];
    expect(reason).toMatchObject({
      kind: 'regression-vs-baseline',
      metric: 'latency-mean',
      observed: 400,
      baseline: 200,
      details: { count: 100, baselineCount: 100, p95Ms: 700, baselineP95Ms: 300, increaseMs: 200, ratio: 2 },
    });
    // The spreads are population standard deviations, corrected to sample ones (× √(100/99)):
    // scipy.stats.ttest_ind_from_stats(400, 100 * sqrt(100/99), 100, 200, 50 * sqrt(100/99), 100,
    //   equal_var=False, alternative='greater')
    expect((reason?.pValue ?? 1) / 1.1625781906408975e-38).toBeCloseTo(1, 6);
    expect(reason?.details?.['t']).toBeCloseTo(17.79887636902959, 10);
    expect(reason?.message).toContain('p95 700 ms against 300 ms, untested');
  });

  it('does not flag a rise the test cannot tell from noise', () => {
    // 330 ± 600 ms against 200 ± 400 ms over 30 calls each: 1.65 × and +130 ms, but p = 0.17
    const noisyBase = buildSummary({ count: 30, meanMs: 200, spreadMs: 400, p95Ms: 1_500 });
    const noisy = buildSummary({ count: 30, meanMs: 330, spreadMs: 600, p95Ms: 2_000 });
    expect(evaluator.evaluate(noisy, { baseline: noisyBase }).reasons.filter((r) => r.kind === 'regression-vs-baseline')).toEqual([]);
    expect(createEvaluator({ baseline: { significance: 0.2 } }).evaluate(noisy, { baseline: noisyBase }).needsRewrite).toBe(true);
  });

  it('ignores a significant rise below the minimum ratio or the minimum milliseconds', () => {
    const base = buildSummary({ count: 1_000, meanMs: 100, spreadMs: 20 });
    // +5 ms is highly significant over 1,000 calls (p = 1.3e-8) but not worth a rewrite.
    const slightly = buildSummary({ count: 1_000, meanMs: 105, spreadMs: 20 });
    expect(evaluator.evaluate(slightly, { baseline: base }).needsRewrite).toBe(false);
    // Twice as slow, +10 ms: under the 100 ms minimum, and under the relative guard's 2.5 ×.
    const fastTool = buildSummary({ count: 1_000, meanMs: 10, spreadMs: 1 });
    const twiceAsSlow = buildSummary({ count: 1_000, meanMs: 20, spreadMs: 1 });
    expect(evaluator.evaluate(twiceAsSlow, { baseline: fastTool }).needsRewrite).toBe(false);
    // +200 ms over 100 calls is significant, but only 1.2 × the baseline.
    const slowTool = buildSummary({ count: 100, meanMs: 1_000, spreadMs: 100 });
    const slowerTool = buildSummary({ count: 100, meanMs: 1_200, spreadMs: 100 });
    const regressions = (diagnosis: Diagnosis): DiagnosisReason[] =>
      diagnosis.reasons.filter((reason) => reason.kind === 'regression-vs-baseline');
    expect(regressions(evaluator.evaluate(slowerTool, { baseline: slowTool }))).toEqual([]);
    const sensitive = createEvaluator({ baseline: { minLatencyIncreaseMs: 5, minLatencyIncreaseRatio: 1.04 } });
    expect(regressions(sensitive.evaluate(slowerTool, { baseline: slowTool }))).toEqual([
      expect.objectContaining({ metric: 'latency-mean', observed: 1_200, baseline: 1_000 }),
    ]);
    expect(sensitive.evaluate(slightly, { baseline: base }).reasons[0]).toMatchObject({ metric: 'latency-mean' });
    expect(sensitive.evaluate(twiceAsSlow, { baseline: fastTool }).reasons[0]).toMatchObject({ metric: 'latency-mean' });
  });

  it('handles windows with no spread exactly', () => {
    const constant = buildSummary({ count: 50, meanMs: 200, spreadMs: 0 });
    const constantSlower = buildSummary({ count: 50, meanMs: 400, spreadMs: 0 });
    const reason = evaluator.evaluate(constantSlower, { baseline: constant }).reasons[0];
    expect(reason).toMatchObject({ metric: 'latency-mean', pValue: 0 });
    expect(reason?.details).not.toHaveProperty('t');
    expect(evaluator.evaluate(constant, { baseline: constant }).reasons).toEqual([]);
  });

  it('reports both regressions when both happened', () => {
    const worse = buildSummary({ count: 100, successCount: 80, meanMs: 400, spreadMs: 100, p95Ms: 700 });
    const base = buildSummary({ count: 100, successCount: 99, meanMs: 200, spreadMs: 50, p95Ms: 300 });
    const metrics = evaluator.evaluate(worse, { baseline: base }).reasons.map((reason) => `${reason.kind}:${reason.metric}`);
    expect(metrics).toEqual(['regression-vs-baseline:success-rate', 'regression-vs-baseline:latency-mean', 'failure-rate:failure-rate']);
  });
});

/** A window of measured calls, summarised the way memory does (population spread, nearest-rank percentiles). */
function windowOf(durations: readonly number[]): ReturnType<typeof buildSummary> {
  const sorted = [...durations].sort((a, b) => a - b);
  const mean = durations.reduce((sum, value) => sum + value, 0) / durations.length;
  const spread = Math.sqrt(durations.reduce((sum, value) => sum + (value - mean) ** 2, 0) / durations.length);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return buildSummary({ count: durations.length, meanMs: mean, spreadMs: spread, p50Ms: rank(0.5), p95Ms: Math.max(rank(0.95), rank(0.5), mean), maxMs: Math.max(sorted.at(-1) ?? 0, mean) });
}

/** A seeded PRNG (mulberry32), so the simulated calls are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A call's latency with jitter: `meanMs` × a log-normal factor (σ 0.3), and now and then a GC pause. */
function jittered(next: () => number, meanMs: number): number {
  const normal = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const pause = next() < 0.03 ? 20 * next() : 0;
  return meanMs * Math.exp(0.3 * normal - 0.045) + pause;
}

describe('comparison with the baseline window: relative slowdowns of fast tools', () => {
  /** What the improvement cycle does: the last `lastN` calls against every call before them. */
  function firstDiagnosedAt(durations: readonly number[], lastN: number, from: number): number | undefined {
    for (let calls = from; calls <= durations.length; calls++) {
      const seen = durations.slice(0, calls);
      const current = windowOf(seen.slice(-lastN));
      const baseline = windowOf(seen.slice(0, -lastN));
      if (baseline.count < 30) continue;
      const diagnosis = evaluator.evaluate(current, { baseline });
      if (diagnosis.reasons.some((reason) => reason.kind === 'regression-vs-baseline')) return calls;
    }
    return undefined;
  }

  it('diagnoses a 5 × slowdown of a 15 ms tool within 50 calls, with the ratio in the reason', () => {
    const next = random(15);
    const before = Array.from({ length: 100 }, () => jittered(next, 15));
    const after = Array.from({ length: 50 }, () => jittered(next, 75));
    const at = firstDiagnosedAt([...before, ...after], 50, 101);
    expect(at).toBeDefined();
    expect((at ?? Number.POSITIVE_INFINITY) - 100).toBeLessThanOrEqual(50);
    const reason = evaluator.evaluate(windowOf(after), { baseline: windowOf(before) }).reasons[0];
    expect(reason).toMatchObject({ kind: 'regression-vs-baseline', metric: 'latency-mean', details: expect.objectContaining({ guardRatio: 2.5, guardIncreaseMs: 10 }) });
    expect(reason?.message).toMatch(/× the baseline/);
  });

  it('diagnoses the 16 → 52 ms slowdown the absolute guard missed', () => {
    const next = random(16);
    const before = windowOf(Array.from({ length: 100 }, () => jittered(next, 16)));
    const after = windowOf(Array.from({ length: 100 }, () => jittered(next, 52)));
    expect(createEvaluator({ baseline: { relativeLatency: { minRatio: 1_000 } } }).evaluate(after, { baseline: before }).needsRewrite).toBe(false);
    expect(evaluator.evaluate(after, { baseline: before })).toMatchObject({ needsRewrite: true, status: 'degraded' });
  });

  it('diagnoses nothing over 200 calls of pure jitter, evaluated after every call, for many seeds', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const next = random(seed);
      const durations = Array.from({ length: 200 }, () => jittered(next, 15));
      expect(firstDiagnosedAt(durations, 50, 80), `seed ${seed}`).toBeUndefined();
    }
  });

  it('keeps the relative guard to real rises: 2 × and +10 ms is below it, and it is configurable', () => {
    const fast = buildSummary({ count: 200, meanMs: 10, spreadMs: 1 });
    const twice = buildSummary({ count: 200, meanMs: 20, spreadMs: 1 });
    expect(evaluator.evaluate(twice, { baseline: fast }).needsRewrite).toBe(false);
    const strict = createEvaluator({ baseline: { relativeLatency: { minRatio: 1.8, minIncreaseMs: 5 } } });
    expect(strict.evaluate(twice, { baseline: fast }).reasons[0]).toMatchObject({ metric: 'latency-mean', details: expect.objectContaining({ guardRatio: 1.8, guardIncreaseMs: 5, ratio: 2 }) });
    // A sub-millisecond tool that doubles is below the relative guard's 10 ms.
    const tiny = buildSummary({ count: 200, meanMs: 0.4, spreadMs: 0.1 });
    const tinyTripled = buildSummary({ count: 200, meanMs: 1.2, spreadMs: 0.1 });
    expect(evaluator.evaluate(tinyTripled, { baseline: tiny }).needsRewrite).toBe(false);
    expect(() => createEvaluator({ baseline: { relativeLatency: { minRatio: 0.5 } } })).toThrow(/minRatio/);
  });
});
