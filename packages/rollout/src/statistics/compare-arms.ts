import { type ArmCounts, callsOf } from './arm-counts.js';
import { type ConfidenceSequenceInterval, mixtureConfidenceInterval } from './confidence-sequence.js';

/** How the difference between two arms is estimated. */
export interface CompareOptions {
  readonly alpha: number;
  /** τ of the normal mixture, on the scale of the difference. */
  readonly mixingSd: number;
}

/**
 * candidate − baseline success rate, with its always-valid interval. The variance uses the rates
 * shrunk by half a call each way ((s + ½) / (n + 1)), so two arms with no failure yet still
 * have a finite, positive variance.
 */
export function compareSuccessRates(candidate: ArmCounts, baseline: ArmCounts, options: CompareOptions): ConfidenceSequenceInterval {
  const nc = callsOf(candidate);
  const nb = callsOf(baseline);
  if (nc === 0 || nb === 0) return mixtureConfidenceInterval(0, Infinity, { alpha: options.alpha, mixingVariance: options.mixingSd ** 2 });
  const shrunk = (counts: ArmCounts, n: number) => (counts.successes + 0.5) / (n + 1);
  const pc = shrunk(candidate, nc);
  const pb = shrunk(baseline, nb);
  const variance = (pc * (1 - pc)) / nc + (pb * (1 - pb)) / nb;
  return mixtureConfidenceInterval(candidate.successes / nc - baseline.successes / nb, variance, {
    alpha: options.alpha,
    mixingVariance: options.mixingSd ** 2,
  });
}

/** The smallest per-call variance of ln(1 + ms) assumed, so identical latencies do not give a zero variance. */
const LOG_LATENCY_VARIANCE_FLOOR = 1e-4;

/**
 * candidate − baseline mean of ln(1 + latency ms), with its always-valid interval: a
 * difference d on this scale means the candidate is about e^d times as slow.
 */
export function compareLogLatencies(candidate: ArmCounts, baseline: ArmCounts, options: CompareOptions): ConfidenceSequenceInterval {
  const nc = callsOf(candidate);
  const nb = callsOf(baseline);
  if (nc < 2 || nb < 2) return mixtureConfidenceInterval(0, Infinity, { alpha: options.alpha, mixingVariance: options.mixingSd ** 2 });
  const moments = (counts: ArmCounts, n: number) => {
    const mean = counts.logLatencySum / n;
    const variance = Math.max(LOG_LATENCY_VARIANCE_FLOOR, (counts.logLatencySquareSum - n * mean * mean) / (n - 1));
    return { mean, variance };
  };
  const c = moments(candidate, nc);
  const b = moments(baseline, nb);
  return mixtureConfidenceInterval(c.mean - b.mean, c.variance / nc + b.variance / nb, {
    alpha: options.alpha,
    mixingVariance: options.mixingSd ** 2,
  });
}
