/**
 * Always-valid inference for a difference of means: the normal-mixture sequential probability
 * ratio test (mSPRT) of Johari, Koomen, Pekelis and Walsh, "Peeking at A/B tests: why it
 * matters, and what to do about it" (KDD 2017), and its journal version "Always valid
 * inference: continuous monitoring of A/B tests" (Operations Research 70(3), 2022).
 *
 * Given an estimate θ̂ of a difference with (estimated) variance V, and a normal mixing
 * distribution θ ~ N(0, τ²) over alternatives, the mixture likelihood ratio against θ = θ₀ is
 *
 *     Λ = sqrt(V / (V + τ²)) · exp( τ² (θ̂ − θ₀)² / (2 V (V + τ²)) ).
 *
 * By Ville's inequality the probability that Λ ever reaches 1/α, at any of arbitrarily many
 * looks, is at most α (exactly for Gaussian increments, asymptotically with a plug-in variance
 * — the setting of Johari et al. §4). Inverting it gives the confidence sequence
 *
 *     θ̂ ± sqrt( V (V + τ²) / τ² · ( ln((V + τ²) / V) + 2 ln(1/α) ) ),
 *
 * which covers the true difference at every look simultaneously with probability ≥ 1 − α (a
 * time-uniform confidence sequence in the sense of Howard, Ramdas, McAuliffe and Sekhon,
 * "Time-uniform, nonparametric, nonasymptotic confidence sequences", Annals of Statistics
 * 49(2), 2021, whose two-sided normal-mixture boundary this is). Stopping the first time the
 * interval excludes a value is therefore a test whose false-alarm rate stays below α however
 * often it looks.
 */

/** A confidence interval that holds at every look at once. */
export interface ConfidenceSequenceInterval {
  /** The point estimate of the difference. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  /** The (estimated) variance of the estimate. */
  readonly variance: number;
  /** The level: the interval misses the true value at any look with probability at most `alpha`. */
  readonly alpha: number;
}

/**
 * The normal-mixture confidence sequence around `estimate`, see the module comment.
 * `mixingVariance` (τ²) tunes which effects it detects fastest: about the squared size of the
 * smallest effect worth detecting. An infinite or zero variance gives the whole line.
 *
 * @example
 * ```ts
 * const interval = mixtureConfidenceInterval(0.03, 0.0004, { alpha: 0.05, mixingVariance: 0.05 ** 2 });
 * if (interval.lower > 0) console.log('the difference is positive, whatever the number of looks');
 * ```
 */
export function mixtureConfidenceInterval(
  estimate: number,
  variance: number,
  options: { readonly alpha: number; readonly mixingVariance: number },
): ConfidenceSequenceInterval {
  const { alpha, mixingVariance: tau2 } = options;
  if (!(variance > 0) || !Number.isFinite(variance) || !Number.isFinite(estimate)) {
    return { estimate, lower: -Infinity, upper: Infinity, variance, alpha };
  }
  const halfWidth = Math.sqrt(((variance * (variance + tau2)) / tau2) * (Math.log((variance + tau2) / variance) + 2 * Math.log(1 / alpha)));
  return { estimate, lower: estimate - halfWidth, upper: estimate + halfWidth, variance, alpha };
}

/** The mixture likelihood ratio Λ against `nullValue` (see the module comment); Λ ≥ 1/α rejects. */
export function mixtureLikelihoodRatio(estimate: number, variance: number, mixingVariance: number, nullValue = 0): number {
  if (!(variance > 0)) return 1;
  const difference = estimate - nullValue;
  return Math.sqrt(variance / (variance + mixingVariance)) * Math.exp((mixingVariance * difference * difference) / (2 * variance * (variance + mixingVariance)));
}
