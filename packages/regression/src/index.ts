/**
 * `@toolwright/regression` — interface only today. The types it will implement are re-exported
 * from `@toolwright/core`; the implementation lands with the improvement-pipeline issue. Nothing here pretends to work.
 *
 * @packageDocumentation
 */
export type {
  CaseResult,
  CompareRequest,
  RegressionCase,
  RegressionRunner,
  Verdict,
} from '@toolwright/core';
