import { type ArmCounts, callsOf } from './arm-counts.js';
import { compareLogLatencies, compareSuccessRates } from './compare-arms.js';
import type { ConfidenceSequenceInterval } from './confidence-sequence.js';

/** The thresholds of the canary's sequential test. Every field has a default. */
export interface CanaryTestOptions {
  /**
   * The false-alarm bound over every look: the probability that a canary no worse than its
   * baseline is ever called worse (or a worse one ever called not worse) stays below it. Split
   * evenly between success rate and latency. Default 0.05.
   */
  readonly alpha?: number;
  /** How far below the baseline's success rate the canary may be and still count as not worse (absolute). Default 0.02. */
  readonly successMargin?: number;
  /** How much slower (relative) the canary may be and still count as not worse: 0.25 = 25 % slower. Default 0.25. */
  readonly latencyTolerance?: number;
  /** Calls each arm needs before the test decides anything (the normal approximation needs some). Default 50. */
  readonly minCalls?: number;
  /** τ of the success-rate mixture: about the smallest drop worth catching. Default 0.05. */
  readonly successMixingSd?: number;
  /** τ of the latency mixture, in ln units. Default 0.2 (≈ 22 % slower). */
  readonly latencyMixingSd?: number;
}

/** The canary test's answer at one look, with the evidence. */
export interface CanaryVerdict {
  /**
   * `worse`: the canary's success rate is below the baseline's, or it is slower than tolerated,
   * beyond doubt at level α. `not-worse`: it is within the margins beyond doubt. `undecided`: not yet.
   */
  readonly decision: 'worse' | 'not-worse' | 'undecided';
  /** One sentence for people: which metric decided, with the figures. */
  readonly reason: string;
  readonly evidence: CanaryEvidence;
}

/** What a canary decision rests on (JSON-serialisable). */
export interface CanaryEvidence {
  readonly test: 'mSPRT normal-mixture confidence sequence (Johari et al. 2017/2022)';
  readonly alpha: number;
  readonly candidate: { readonly calls: number; readonly successRate: number | undefined };
  readonly baseline: { readonly calls: number; readonly successRate: number | undefined };
  /** candidate − baseline success rate. */
  readonly successDifference: ConfidenceSequenceInterval;
  /** candidate − baseline mean ln(1 + ms). */
  readonly logLatencyDifference: ConfidenceSequenceInterval;
  readonly successMargin: number;
  readonly latencyTolerance: number;
}

const DEFAULTS = {
  alpha: 0.05,
  successMargin: 0.02,
  latencyTolerance: 0.25,
  minCalls: 50,
  successMixingSd: 0.05,
  latencyMixingSd: 0.2,
} satisfies Required<CanaryTestOptions>;

/** The canary test's options with their defaults filled in. */
export function canaryTestDefaults(options: CanaryTestOptions = {}): Required<CanaryTestOptions> {
  return { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) };
}

/**
 * Is the canary worse than its baseline? A sequential test on success rate and latency that may
 * be asked after every call: each metric's always-valid confidence sequence (see
 * `mixtureConfidenceInterval`) at level α/2, so the false-alarm rate over both metrics and every
 * look stays below α.
 *
 * - worse: the success-rate interval lies below 0, or the latency interval lies above ln(1 + tolerance);
 * - not worse: the success-rate interval lies above −margin and the latency interval below ln(1 + tolerance);
 * - otherwise undecided (and always before `minCalls` calls on each arm).
 *
 * @example
 * ```ts
 * const verdict = canaryVerdict(candidateCounts, baselineCounts, { alpha: 0.05 });
 * if (verdict.decision === 'worse') console.log(verdict.reason);
 * ```
 */
export function canaryVerdict(candidate: ArmCounts, baseline: ArmCounts, options: CanaryTestOptions = {}): CanaryVerdict {
  const resolved = canaryTestDefaults(options);
  const perMetric = resolved.alpha / 2;
  const success = compareSuccessRates(candidate, baseline, { alpha: perMetric, mixingSd: resolved.successMixingSd });
  const latency = compareLogLatencies(candidate, baseline, { alpha: perMetric, mixingSd: resolved.latencyMixingSd });
  const nc = callsOf(candidate);
  const nb = callsOf(baseline);
  const evidence: CanaryEvidence = {
    test: 'mSPRT normal-mixture confidence sequence (Johari et al. 2017/2022)',
    alpha: resolved.alpha,
    candidate: { calls: nc, successRate: nc === 0 ? undefined : candidate.successes / nc },
    baseline: { calls: nb, successRate: nb === 0 ? undefined : baseline.successes / nb },
    successDifference: success,
    logLatencyDifference: latency,
    successMargin: resolved.successMargin,
    latencyTolerance: resolved.latencyTolerance,
  };
  const rate = (value: number | undefined) => (value === undefined ? 'n/a' : `${(value * 100).toFixed(1)} %`);
  const figures = `candidate ${rate(evidence.candidate.successRate)} of ${nc} calls, baseline ${rate(evidence.baseline.successRate)} of ${nb}`;
  if (nc < resolved.minCalls || nb < resolved.minCalls) {
    return { decision: 'undecided', reason: `Not enough calls yet (${figures}; ${resolved.minCalls} each needed).`, evidence };
  }
  const tolerance = Math.log1p(resolved.latencyTolerance);
  if (success.upper < 0) {
    return {
      decision: 'worse',
      reason: `The candidate's success rate is below the baseline's (${figures}; difference ≤ ${(success.upper * 100).toFixed(1)} points at level ${resolved.alpha}).`,
      evidence,
    };
  }
  if (latency.lower > tolerance) {
    return {
      decision: 'worse',
      reason: `The candidate is slower than tolerated (at least ${((Math.exp(latency.lower) - 1) * 100).toFixed(0)} % slower, tolerance ${(resolved.latencyTolerance * 100).toFixed(0)} %; ${figures}).`,
      evidence,
    };
  }
  if (success.lower > -resolved.successMargin && latency.upper < tolerance) {
    return { decision: 'not-worse', reason: `The candidate is not worse than the baseline within the margins (${figures}).`, evidence };
  }
  return { decision: 'undecided', reason: `No decision yet (${figures}).`, evidence };
}
