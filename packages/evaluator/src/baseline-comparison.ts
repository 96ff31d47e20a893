import type { DiagnosisReason, ToolSummary } from '@toolwright/core';
import type { ResolvedEvaluatorConfig } from './config.js';
import { formatMs, formatPValue, formatRatio } from './format.js';
import { fisherExactTestGreater } from './statistics/fisher-exact-test.js';
import { welchTTestGreater } from './statistics/welch-t-test.js';

type BaselineConfig = ResolvedEvaluatorConfig['baseline'];

/**
 * A fall in success rate: reported when it is at least `minSuccessRateDrop` and a one-sided
 * Fisher's exact test on both windows' successes and failures rejects "same failure
 * probability" at the configured significance.
 */
function successRateRegression(current: ToolSummary, baseline: ToolSummary, config: BaselineConfig): DiagnosisReason | undefined {
  const drop = baseline.successRate - current.successRate;
  if (!(drop > 0) || drop < config.minSuccessRateDrop) return undefined;
  const failures = current.count - current.successCount;
  const baselineFailures = baseline.count - baseline.successCount;
  const pValue = fisherExactTestGreater(
    { failures, count: current.count },
    { failures: baselineFailures, count: baseline.count },
  );
  if (!(pValue < config.significance)) return undefined;
  return {
    kind: 'regression-vs-baseline',
    metric: 'success-rate',
    message:
      `success rate ${formatRatio(current.successRate)} fell from ${formatRatio(baseline.successRate)} ` +
      `(${failures} of ${current.count} calls failed, against ${baselineFailures} of ${baseline.count}; ` +
      `one-sided Fisher's exact test p = ${formatPValue(pValue)} < ${config.significance})`,
    observed: current.successRate,
    baseline: baseline.successRate,
    pValue,
    details: {
      count: current.count,
      failures,
      baselineCount: baseline.count,
      baselineFailures,
      drop,
      minDrop: config.minSuccessRateDrop,
      significance: config.significance,
    },
  };
}

/**
 * A summary's `spread` is read as the population standard deviation (what `@toolwright/memory`
 * computes); the t-test wants the sample one. Were `spread` already the sample one, this only
 * makes the test slightly more conservative (by under 2 % from 30 calls).
 */
function sampleStandardDeviation(summary: ToolSummary): number {
  return summary.latency.spread * Math.sqrt(summary.count / (summary.count - 1));
}

/**
 * Which effect-size guard a latency rise passes: `absolute` (at least `minLatencyIncreaseRatio`
 * × and `minLatencyIncreaseMs`, for slow tools) or `relative` (at least
 * `relativeLatency.minRatio` × and `relativeLatency.minIncreaseMs`, for fast tools whose
 * slowdowns are a few milliseconds); `undefined` when neither.
 */
function latencyEffect(increaseMs: number, ratio: number, config: BaselineConfig): 'absolute' | 'relative' | undefined {
  if (increaseMs >= config.minLatencyIncreaseMs && ratio >= config.minLatencyIncreaseRatio) return 'absolute';
  if (increaseMs >= config.relativeLatency.minIncreaseMs && ratio >= config.relativeLatency.minRatio) return 'relative';
  return undefined;
}

/**
 * A rise in mean latency: reported when it passes an effect-size guard (see `latencyEffect`:
 * absolute for slow tools, relative to the version's own baseline for fast ones) and a
 * one-sided Welch's t-test on the windows' means, spreads and counts rejects "same mean" at the
 * configured significance. Percentiles cannot be tested from a summary (that needs the calls
 * themselves); p95 is reported beside the test, untested.
 */
function latencyRegression(current: ToolSummary, baseline: ToolSummary, config: BaselineConfig): DiagnosisReason | undefined {
  const increaseMs = current.latency.mean - baseline.latency.mean;
  if (!(increaseMs > 0)) return undefined;
  const ratio = baseline.latency.mean === 0 ? Number.POSITIVE_INFINITY : current.latency.mean / baseline.latency.mean;
  const effect = latencyEffect(increaseMs, ratio, config);
  if (effect === undefined) return undefined;
  const test = welchTTestGreater(
    { count: current.count, mean: current.latency.mean, standardDeviation: sampleStandardDeviation(current) },
    { count: baseline.count, mean: baseline.latency.mean, standardDeviation: sampleStandardDeviation(baseline) },
  );
  if (!(test.pValue < config.significance)) return undefined;
  return {
    kind: 'regression-vs-baseline',
    metric: 'latency-mean',
    message:
      `mean latency ${formatMs(current.latency.mean)} rose from ${formatMs(baseline.latency.mean)}` +
      `${Number.isFinite(ratio) ? `, ${ratio.toFixed(1)} × the baseline` : ''} ` +
      `(p95 ${formatMs(current.latency.p95)} against ${formatMs(baseline.latency.p95)}, untested; ` +
      `one-sided Welch's t-test over ${current.count} and ${baseline.count} calls p = ${formatPValue(test.pValue)} < ${config.significance})`,
    observed: current.latency.mean,
    baseline: baseline.latency.mean,
    pValue: test.pValue,
    details: {
      count: current.count,
      baselineCount: baseline.count,
      spreadMs: current.latency.spread,
      baselineSpreadMs: baseline.latency.spread,
      p95Ms: current.latency.p95,
      baselineP95Ms: baseline.latency.p95,
      increaseMs,
      // The effect-size guard the rise passed: the absolute one, or the relative one for fast tools.
      guardRatio: effect === 'absolute' ? config.minLatencyIncreaseRatio : config.relativeLatency.minRatio,
      guardIncreaseMs: effect === 'absolute' ? config.minLatencyIncreaseMs : config.relativeLatency.minIncreaseMs,
      // JSON has no Infinity: a ratio over a zero baseline mean, or t with no spread on either side, is left out.
      ...(Number.isFinite(ratio) ? { ratio } : {}),
      ...(Number.isFinite(test.t) ? { t: test.t } : {}),
      degreesOfFreedom: test.degreesOfFreedom,
      significance: config.significance,
    },
  };
}

/**
 * Compares a window with its baseline window: success rate (Fisher's exact test) and mean
 * latency (Welch's t-test), each guarded by a minimum effect size and a significance level.
 * Nothing is tested unless both windows hold at least `minInvocations` calls, so a small
 * noisy window never yields a reason. Each test runs at the configured level, so the chance
 * of a false alarm in one evaluation is at most twice that level.
 */
export function compareWithBaseline(current: ToolSummary, baseline: ToolSummary, config: BaselineConfig): DiagnosisReason[] {
  if (current.count < config.minInvocations || baseline.count < config.minInvocations) return [];
  return [successRateRegression(current, baseline, config), latencyRegression(current, baseline, config)].filter(
    (reason): reason is DiagnosisReason => reason !== undefined,
  );
}
