/**
 * `@toolwright/safety-policy` — interface only today. The types it will implement are re-exported
 * from `@toolwright/core`; the implementation lands with the safety-policy issue. Nothing here pretends to work.
 *
 * @packageDocumentation
 */
export type {
  Change,
  Decision,
  DecisionReason,
  Policy,
  PolicyContext,
} from '@toolwright/core';
