import type { ScoreComponent, ToolSummary } from '@toolwright/core';
import type { ResolvedEvaluatorConfig } from './config.js';

/** One component before it is reported: its value, its normalised weight and what it was computed from. */
export interface ComponentPart {
  readonly value: number;
  readonly weight: number;
}

/** The weighted score of a summary and its parts. */
export interface Score {
  /** Weighted sum of the components, in 0..1, rounded to 12 decimals. */
  readonly score: number;
  readonly components: readonly ScoreComponent[];
  readonly successRate: ComponentPart;
  readonly latency: ComponentPart & { readonly observedMs: number };
  readonly consistency: ComponentPart & { readonly spreadRatio: number };
}

/**
 * Rounds away binary floating-point noise (0.1 + 0.2 is 0.30000000000000004), so that a score
 * that is exactly at the threshold in decimal is judged at the threshold, not a hair under it.
 */
function roundScore(value: number): number {
  return Math.min(1, Math.max(0, Math.round(value * 1e12) / 1e12));
}

/** 1 at or under the target, 0 at or over `zeroAtMs`, linear in between. */
export function latencyValue(observedMs: number, targetMs: number, zeroAtMs: number): number {
  if (observedMs <= targetMs) return 1;
  if (observedMs >= zeroAtMs) return 0;
  return (zeroAtMs - observedMs) / (zeroAtMs - targetMs);
}

/** 1 − spread ÷ (multiple × mean), floored at 0; 1 when the mean is 0 (nothing to vary). */
export function consistencyValue(meanMs: number, spreadMs: number, spreadMultiple: number): number {
  if (meanMs === 0) return 1;
  return Math.max(0, 1 - spreadMs / (spreadMultiple * meanMs));
}

/** Computes the classic weighted score of `summary` under `config`. Pure. */
export function computeScore(summary: ToolSummary, config: ResolvedEvaluatorConfig): Score {
  const { weights } = config;
  const totalWeight = weights.successRate + weights.latency + weights.consistency;
  const observedMs = summary.latency[config.latency.statistic];
  const successRate: ComponentPart = { value: summary.successRate, weight: weights.successRate / totalWeight };
  const latency = {
    value: latencyValue(observedMs, config.latency.targetMs, config.latency.zeroAtMs),
    weight: weights.latency / totalWeight,
    observedMs,
  };
  const consistency = {
    value: consistencyValue(summary.latency.mean, summary.latency.spread, config.consistency.spreadMultiple),
    weight: weights.consistency / totalWeight,
    spreadRatio: summary.latency.mean === 0 ? 0 : summary.latency.spread / summary.latency.mean,
  };
  const score = roundScore(
    successRate.value * successRate.weight + latency.value * latency.weight + consistency.value * consistency.weight,
  );
  return {
    score,
    components: [
      { name: 'success-rate', value: successRate.value, weight: successRate.weight },
      { name: 'latency', value: latency.value, weight: latency.weight },
      { name: 'consistency', value: consistency.value, weight: consistency.weight },
    ],
    successRate,
    latency,
    consistency,
  };
}
