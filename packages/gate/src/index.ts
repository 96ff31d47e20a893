/**
 * `@toolwright/gate`: the one gate every self-modification passes. `createGate()` runs each
 * change through review → register → test → decide → promote → audit, with the policy's
 * decision, the registry transition and the audit entry in one transaction. It holds the only
 * registry writer: everything else gets readers and the gate.
 *
 * @packageDocumentation
 */
export { createGate } from './create-gate.js';
export type { CreateGateOptions, Gate } from './create-gate.js';
export type { GateAuditLog, GateRegistry, GateRegression } from './gate-parts.js';
export type {
  AppliedOutcome,
  ChangeEvidence,
  ChangeGate,
  DeniedOutcome,
  FailedOutcome,
  FailedRegressionOutcome,
  GateOutcome,
  GateStatus,
  GateStep,
  QueuedOutcome,
} from '@toolwright/core';
