import type { Verdict } from '@toolwright/core';
import { percentile } from './latency.js';
import type { ShadowObservation } from './store/case-store.js';

/** What shadow runs showed about a candidate: the verdict's `shadow` plus the counts behind it. */
export interface ShadowSummary extends NonNullable<Verdict['shadow']> {
  /** Runs in which the active version succeeded: the ones agreement is measured over. */
  readonly comparable: number;
  /** Runs in which the candidate failed. */
  readonly candidateFailures: number;
  /** Runs in which the active version failed and the candidate succeeded. */
  readonly candidateRecoveries: number;
}

/** Summarises shadow observations; `undefined` when there are none. */
export function summariseShadow(observations: readonly ShadowObservation[]): ShadowSummary | undefined {
  if (observations.length === 0) return undefined;
  const comparable = observations.filter((observation) => observation.activeOk);
  const agreed = comparable.filter((observation) => observation.agreed).length;
  return {
    runs: observations.length,
    agreement: comparable.length === 0 ? 0 : agreed / comparable.length,
    candidateP50Ms: percentile(observations.map((observation) => observation.candidateMs), 0.5),
    baselineP50Ms: percentile(observations.map((observation) => observation.activeMs), 0.5),
    comparable: comparable.length,
    candidateFailures: observations.filter((observation) => !observation.candidateOk).length,
    candidateRecoveries: observations.filter((observation) => !observation.activeOk && observation.candidateOk).length,
  };
}
