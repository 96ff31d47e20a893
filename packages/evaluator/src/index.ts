/**
 * `@toolwright/evaluator`: turns a tool's measured behaviour (core's `ToolSummary`) into a
 * `Diagnosis` — a weighted score, the reasons behind it, and whether to rewrite — with a
 * statistically guarded comparison against the version's own baseline window.
 *
 * @packageDocumentation
 */
export { createEvaluator } from './evaluator.js';
export type { ConfiguredEvaluator } from './evaluator.js';
export { DEFAULT_EVALUATOR_CONFIG, evaluatorConfigSchema } from './config.js';
export type { EvaluatorConfig, ResolvedEvaluatorConfig } from './config.js';
export type { Diagnosis, DiagnosisReason, DiagnosisReasonKind, Evaluator, ScoreComponent } from '@toolwright/core';
