import { type ArmCounts, callsOf } from './arm-counts.js';
import { compareSuccessRates } from './compare-arms.js';
import { normalQuantile } from './normal.js';

/**
 * When an A/B experiment stops.
 *
 * - `sequential`: look as often as you like; stop as soon as the always-valid confidence
 *   sequence (mSPRT, Johari et al. 2017/2022) of some arm's success rate minus the control's
 *   excludes 0, or when every arm has `maxCallsPerArm` calls (no winner). The probability of
 *   ever declaring a difference between identical arms is at most `alpha`.
 * - `fixed`: one look, when every arm has `callsPerArm` calls: a two-sided pooled two-proportion
 *   z-test at level `alpha` (its false-alarm rate is `alpha` only if nobody looks earlier —
 *   which the controller guarantees by not deciding before).
 *
 * With more than one treatment arm, each is compared with the control at `alpha / (arms − 1)` (Bonferroni).
 */
export type StopRule =
  | {
      readonly kind: 'sequential';
      readonly alpha: number;
      /** Calls every arm needs before the test decides (the normal approximation needs some). */
      readonly minCallsPerArm: number;
      /** The experiment ends without a winner once every arm has this many calls. */
      readonly maxCallsPerArm: number;
      /** τ of the mixture, on the success-rate scale: about the smallest difference worth finding. */
      readonly mixingSd: number;
    }
  | { readonly kind: 'fixed'; readonly alpha: number; readonly callsPerArm: number };

/** One arm's comparison with the control. */
export interface ArmComparison {
  readonly arm: string;
  readonly calls: number;
  /** arm − control success rate. */
  readonly difference: number;
  /** The interval (sequential) or the z-test's confidence interval (fixed) around `difference`. */
  readonly lower: number;
  readonly upper: number;
}

/** The answer of the stop rule at one look. */
export interface AbVerdict {
  /** `running`: keep going. `winner`: a treatment arm beats the control. `no-winner`: the experiment ends with the control kept. */
  readonly status: 'running' | 'winner' | 'no-winner';
  /** With `winner`: the arm that won. */
  readonly winner?: string;
  /** With `no-winner`: the control was better, or no difference was found. */
  readonly why?: 'control-better' | 'no-difference';
  readonly reason: string;
  readonly comparisons: readonly ArmComparison[];
}

/** One arm of an A/B look: its name and counts. The first arm given is the control. */
export interface AbArm {
  readonly name: string;
  readonly counts: ArmCounts;
}

/**
 * Applies the stop rule to the arms' counts; `arms[0]` is the control.
 *
 * @example
 * ```ts
 * const verdict = abVerdict([{ name: 'v1', counts: a }, { name: 'v2', counts: b }], { kind: 'sequential', alpha: 0.05, minCallsPerArm: 50, maxCallsPerArm: 5000, mixingSd: 0.05 });
 * if (verdict.status === 'winner') console.log(verdict.winner);
 * ```
 */
export function abVerdict(arms: readonly AbArm[], rule: StopRule): AbVerdict {
  const [control, ...treatments] = arms;
  if (control === undefined || treatments.length === 0) throw new RangeError('abVerdict needs a control and at least one treatment arm');
  const alpha = rule.alpha / treatments.length;
  const calls = arms.map((arm) => callsOf(arm.counts));
  const fewest = Math.min(...calls);
  if (rule.kind === 'fixed') {
    if (fewest < rule.callsPerArm) return running(arms, fewest, rule.callsPerArm, []);
    const critical = normalQuantile(1 - alpha / 2);
    const comparisons = treatments.map((arm) => zComparison(arm, control, critical));
    return decide(comparisons, true);
  }
  const comparisons = treatments.map((arm) => {
    const interval = compareSuccessRates(arm.counts, control.counts, { alpha, mixingSd: rule.mixingSd });
    return { arm: arm.name, calls: callsOf(arm.counts), difference: interval.estimate, lower: interval.lower, upper: interval.upper };
  });
  if (fewest < rule.minCallsPerArm) return running(arms, fewest, rule.minCallsPerArm, comparisons);
  return decide(comparisons, fewest >= rule.maxCallsPerArm);
}

function running(arms: readonly AbArm[], fewest: number, needed: number, comparisons: readonly ArmComparison[]): AbVerdict {
  return { status: 'running', reason: `Running: the smallest of ${arms.length} arms has ${fewest} calls (${needed} needed before a decision).`, comparisons };
}

function decide(comparisons: readonly ArmComparison[], exhausted: boolean): AbVerdict {
  const better = comparisons.filter((comparison) => comparison.lower > 0).sort((a, b) => b.difference - a.difference);
  const best = better[0];
  if (best !== undefined) {
    return {
      status: 'winner',
      winner: best.arm,
      reason: `${best.arm} beats the control by ${(best.difference * 100).toFixed(1)} points (interval ${(best.lower * 100).toFixed(1)} … ${(best.upper * 100).toFixed(1)}).`,
      comparisons,
    };
  }
  if (comparisons.every((comparison) => comparison.upper < 0)) {
    return { status: 'no-winner', why: 'control-better', reason: 'The control beats every other arm; it stays.', comparisons };
  }
  if (exhausted) {
    return { status: 'no-winner', why: 'no-difference', reason: 'No arm differs from the control at the configured level; the control stays.', comparisons };
  }
  return { status: 'running', reason: 'Running: no arm differs from the control yet.', comparisons };
}

function zComparison(arm: AbArm, control: AbArm, critical: number): ArmComparison {
  const n1 = callsOf(arm.counts);
  const n0 = callsOf(control.counts);
  const p1 = arm.counts.successes / n1;
  const p0 = control.counts.successes / n0;
  const pooled = (arm.counts.successes + control.counts.successes) / (n1 + n0);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0));
  const difference = p1 - p0;
  // Identical all-success (or all-failure) arms: no evidence of any difference.
  if (pooledSe === 0) return { arm: arm.name, calls: n1, difference, lower: -Infinity, upper: Infinity };
  // The interval uses the pooled standard error (the one of the null hypothesis), so it
  // excludes 0 exactly when the pooled z-test rejects.
  return { arm: arm.name, calls: n1, difference, lower: difference - critical * pooledSe, upper: difference + critical * pooledSe };
}
