/**
 * `@toolwright/regression`: proof before promotion. Keeps each tool's regression cases (spec
 * examples, explicit cases, captured live calls with a stable held-out split), runs a
 * candidate and its baseline in the sandbox on every case, runs candidates in the shadow of
 * the active version, and returns a `Verdict` that promotes only a candidate that regresses
 * on nothing and fixes the diagnosed problem.
 *
 * @packageDocumentation
 */
export { createRegressionRunner } from './regression-runner.js';
export type { RegressionSuite, ShadowDisagreement, ShadowRequest } from './regression-runner.js';
export type { ShadowRun } from './shadow-run.js';
export type { ShadowSummary } from './shadow-summary.js';
export { regressionRunnerOptionsSchema } from './options.js';
export type { RegressionRunnerOptions } from './options.js';
export { caseExpectationSchema, captureInputSchema, explicitCaseInputSchema, regressionCaseSchema } from './case-schemas.js';
export type { CaptureInput, CaptureOutcome, ExplicitCaseInput } from './case-schemas.js';
export type { RegressionDatabase } from './store/regression-database.js';
export { REGRESSION_MIGRATION_TABLE } from './store/migrations.js';
export { jsonDifferences, jsonEqual, formatDifferences, withinTolerance } from './json-compare.js';
export type { JsonDifference, Tolerance } from './json-compare.js';
export type {
  CaseExpectation,
  CaseResult,
  CaseRun,
  CompareRequest,
  RegressionCase,
  RegressionRunner,
  Verdict,
} from '@toolwright/core';
