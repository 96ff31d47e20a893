import type { Random } from '../random.js';
import { sampleBeta } from '../random.js';

/** What a bandit knows of one arm: Bernoulli outcomes. */
export interface BanditArmCounts {
  readonly successes: number;
  readonly failures: number;
}

/** The bandit strategies. */
export type BanditStrategy = 'thompson' | 'ucb1';

/**
 * Thompson sampling with a Beta(1, 1) prior on each arm's success probability (Thompson 1933;
 * analysed by Agrawal and Goyal, "Analysis of Thompson sampling for the multi-armed bandit
 * problem", COLT 2012, and Kaufmann, Korda and Munos, "Thompson sampling: an asymptotically
 * optimal finite-time analysis", ALT 2012): draw p̃ᵢ ~ Beta(1 + sᵢ, 1 + fᵢ) and play the
 * largest. Returns the index of the arm.
 */
export function thompsonChoice(arms: readonly BanditArmCounts[], random: Random): number {
  let best = 0;
  let bestDraw = -1;
  for (let index = 0; index < arms.length; index++) {
    const arm = arms[index] as BanditArmCounts;
    const draw = sampleBeta(1 + arm.successes, 1 + arm.failures, random);
    if (draw > bestDraw) {
      bestDraw = draw;
      best = index;
    }
  }
  return best;
}

/**
 * UCB1 (Auer, Cesa-Bianchi and Fischer, "Finite-time analysis of the multiarmed bandit
 * problem", Machine Learning 47, 2002): play each arm once, then the one maximising
 * x̄ᵢ + sqrt(2 ln n / nᵢ). Deterministic; ties go to the first arm. Returns the index of the arm.
 */
export function ucb1Choice(arms: readonly BanditArmCounts[]): number {
  let total = 0;
  for (let index = 0; index < arms.length; index++) {
    const arm = arms[index] as BanditArmCounts;
    const pulls = arm.successes + arm.failures;
    if (pulls === 0) return index;
    total += pulls;
  }
  const logTotal = Math.log(total);
  let best = 0;
  let bestIndex = -Infinity;
  for (let index = 0; index < arms.length; index++) {
    const arm = arms[index] as BanditArmCounts;
    const pulls = arm.successes + arm.failures;
    const value = arm.successes / pulls + Math.sqrt((2 * logTotal) / pulls);
    if (value > bestIndex) {
      bestIndex = value;
      best = index;
    }
  }
  return best;
}

/**
 * The UCB1 regret bound of Auer et al. 2002, Theorem 1: after n pulls, the expected regret is at
 * most Σ_{i: Δᵢ > 0} 8 ln n / Δᵢ + (1 + π²/3) Σ Δᵢ, where Δᵢ is arm i's gap to the best mean.
 */
export function ucb1RegretBound(means: readonly number[], pulls: number): number {
  const best = Math.max(...means);
  let bound = 0;
  for (const mean of means) {
    const gap = best - mean;
    if (gap > 0) bound += (8 * Math.log(pulls)) / gap + (1 + (Math.PI * Math.PI) / 3) * gap;
  }
  return bound;
}

/** The Bernoulli Kullback–Leibler divergence KL(p ‖ q). */
export function bernoulliKl(p: number, q: number): number {
  const term = (a: number, b: number) => (a === 0 ? 0 : a * Math.log(a / b));
  return term(p, q) + term(1 - p, 1 - q);
}

/**
 * A logarithmic regret bound for Thompson sampling, with stated constants:
 * C · Σ_{i: Δᵢ > 0} Δᵢ ln n / KL(μᵢ ‖ μ*) + Σ Δᵢ · K₀. The Lai–Robbins lower bound has C = 1,
 * K₀ = 0 asymptotically, and Thompson sampling attains (1 + ε) of it (Kaufmann et al. 2012,
 * Theorem 1); the finite-time slack is `constant` (default C = 2) and `additive` (default K₀ = 10 pulls of each worse arm).
 */
export function thompsonRegretBound(means: readonly number[], pulls: number, options: { constant?: number; additive?: number } = {}): number {
  const constant = options.constant ?? 2;
  const additive = options.additive ?? 10;
  const best = Math.max(...means);
  let bound = 0;
  for (const mean of means) {
    const gap = best - mean;
    if (gap > 0) bound += (constant * gap * Math.log(pulls)) / bernoulliKl(mean, best) + additive * gap;
  }
  return bound;
}
