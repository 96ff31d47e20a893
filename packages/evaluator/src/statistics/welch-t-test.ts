import { studentTUpperTail } from './student-t.js';

/** A sample described by its size, mean and standard deviation. */
export interface SampleMoments {
  readonly count: number;
  readonly mean: number;
  readonly standardDeviation: number;
}

/** The outcome of {@link welchTTestGreater}. */
export interface WelchTestResult {
  readonly t: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
}

/**
 * One-sided Welch's t-test from summary statistics: the p-value of a mean at least as far
 * above the baseline's as `current`'s if both had the same mean (alternative: the current
 * mean is greater). Needs `count >= 2` on both sides. With no spread on either side the
 * answer is exact: p = 0 when the current mean is greater, 1 otherwise.
 */
export function welchTTestGreater(current: SampleMoments, baseline: SampleMoments): WelchTestResult {
  const currentVariance = current.standardDeviation ** 2 / current.count;
  const baselineVariance = baseline.standardDeviation ** 2 / baseline.count;
  const variance = currentVariance + baselineVariance;
  const difference = current.mean - baseline.mean;
  if (variance === 0) {
    return {
      t: difference > 0 ? Number.POSITIVE_INFINITY : difference < 0 ? Number.NEGATIVE_INFINITY : 0,
      degreesOfFreedom: current.count + baseline.count - 2,
      pValue: difference > 0 ? 0 : 1,
    };
  }
  const t = difference / Math.sqrt(variance);
  // Welch–Satterthwaite.
  const degreesOfFreedom =
    variance ** 2 / (currentVariance ** 2 / (current.count - 1) + baselineVariance ** 2 / (baseline.count - 1));
  return { t, degreesOfFreedom, pValue: studentTUpperTail(t, degreesOfFreedom) };
}
