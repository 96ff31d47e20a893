import type { ToolSummary } from './memory.js';

/** Why a tool looks unhealthy. */
export type DiagnosisReasonKind = 'failure-rate' | 'latency' | 'inconsistency' | 'regression-vs-baseline' | 'wrong-output';

/** One reason, with the numbers behind it. */
export interface DiagnosisReason {
  readonly kind: DiagnosisReasonKind;
  /** A sentence a person can read, e.g. "success rate 0.85 fell from 0.99 (p = 0.002)". */
  readonly message: string;
  /** The measured value. */
  readonly observed: number;
  /** The limit it crossed, when there is one. */
  readonly threshold?: number;
  /** The baseline value it is compared against, for `regression-vs-baseline`. */
  readonly baseline?: number;
  /** The statistical test's p-value, when one guarded the reason. */
  readonly pValue?: number;
  /** What was measured, e.g. `failure-rate`, `latency-mean`, `success-rate`, `wrong-output-rate`. */
  readonly metric?: string;
  /** Further numbers behind the reason, by name: sample sizes, counts, test statistics. */
  readonly details?: Readonly<Record<string, number>>;
}

/** One weighted part of the score. */
export interface ScoreComponent {
  /** e.g. `success-rate`, `latency`, `consistency`. */
  readonly name: string;
  /** In 0..1. */
  readonly value: number;
  readonly weight: number;
}

/** The evaluator's judgement of a tool version over a window. */
export interface Diagnosis {
  readonly tool: string;
  readonly version: number | undefined;
  /** Weighted sum of the components, in 0..1. */
  readonly score: number;
  readonly components: readonly ScoreComponent[];
  /** `insufficient-data` when the window has too few calls to judge. */
  readonly status: 'healthy' | 'degraded' | 'insufficient-data';
  readonly needsRewrite: boolean;
  readonly reasons: readonly DiagnosisReason[];
  /** How many invocations the judgement rests on. */
  readonly sampleSize: number;
}

/**
 * Turns measured behaviour into a diagnosis. Pure: the same summaries give the same
 * diagnosis. It lives outside the agent's reach: the agent cannot rewrite its evaluator.
 *
 * @example
 * ```ts
 * const diagnosis = evaluator.evaluate(await memory.summary('total_fares', { lastN: 50 }));
 * if (diagnosis.needsRewrite) console.log(diagnosis.reasons.map((r) => r.message));
 * ```
 */
export interface Evaluator {
  evaluate(summary: ToolSummary, options?: { readonly baseline?: ToolSummary }): Diagnosis;
}
