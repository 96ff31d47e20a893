import { logChoose } from './log-gamma.js';

/** Counts of one window for {@link fisherExactTestGreater}. */
export interface FailureCounts {
  readonly failures: number;
  readonly count: number;
}

/**
 * `P(X >= observed)` for `X ~ Hypergeometric(population, marked, draws)`: drawing `draws`
 * items without replacement from `population` items of which `marked` are marked.
 */
export function hypergeometricUpperTail(observed: number, population: number, marked: number, draws: number): number {
  const lowest = Math.max(0, draws - (population - marked));
  const highest = Math.min(marked, draws);
  if (observed <= lowest) return 1;
  if (observed > highest) return 0;
  const logNormaliser = logChoose(population, draws);
  const logProbability = (k: number): number =>
    logChoose(marked, k) + logChoose(population - marked, draws - k) - logNormaliser;
  const mode = Math.floor(((draws + 1) * (marked + 1)) / (population + 2));
  // Sum whichever tail lies beyond the mode: its terms only shrink, so the sum is accurate
  // and it may stop as soon as a term underflows.
  if (observed > mode) {
    let term = Math.exp(logProbability(observed));
    let sum = term;
    for (let k = observed; k < highest && term > 0; k += 1) {
      term *= ((marked - k) * (draws - k)) / ((k + 1) * (population - marked - draws + k + 1));
      sum += term;
    }
    return Math.min(1, sum);
  }
  let term = Math.exp(logProbability(observed - 1));
  let lowerTail = term;
  for (let k = observed - 1; k > lowest && term > 0; k -= 1) {
    term *= (k * (population - marked - draws + k)) / ((marked - k + 1) * (draws - k + 1));
    lowerTail += term;
  }
  return Math.max(0, Math.min(1, 1 - lowerTail));
}

/**
 * One-sided Fisher's exact test on two windows' successes and failures: the p-value of
 * observing at least `current.failures` failures in the current window if both windows had
 * the same failure probability (alternative: the current window fails more often).
 * Exact for any sample size, so it stays honest on small windows.
 */
export function fisherExactTestGreater(current: FailureCounts, baseline: FailureCounts): number {
  return hypergeometricUpperTail(
    current.failures,
    current.count + baseline.count,
    current.failures + baseline.failures,
    current.count,
  );
}
