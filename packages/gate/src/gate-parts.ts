import type {
  AuditEntry,
  AuditEntryInput,
  Change,
  ChangeEvidence,
  GateOutcome,
  RegistryReader,
  RegressionRunner,
  ToolManifest,
  RegressionCase,
} from '@toolwright/core';
import type { RegistryStore } from '@toolwright/registry';
import type { RegistryWriter } from '@toolwright/registry/writer';
import type { BundleKey } from '@toolwright/registry';
import type { SafetyPolicy } from '@toolwright/safety-policy';
import type { InUnit, MigratableDatabase, UnitOfWork } from '@toolwright/store';

/** The audit log as the gate needs it: appends that join the gate's transaction. `createMemory` of `@toolwright/memory` fits. */
export interface GateAuditLog {
  audit(entry: AuditEntryInput, options?: InUnit): Promise<AuditEntry>;
}

/** The regression runner as the gate needs it: `createRegressionRunner` of `@toolwright/regression` fits. */
export interface GateRegression extends Pick<RegressionRunner, 'compare' | 'cases'> {
  /** Stores a promoted tool's examples as cases, inside the gate's transaction. */
  addExamples(spec: ToolManifest, options?: InUnit): Promise<readonly RegressionCase[]>;
}

/** The registry reader the gate reads what is in force from; with `changeLog` for the reason of an earlier rejection. */
export type GateRegistry = RegistryReader & Partial<Pick<RegistryStore, 'changeLog'>>;

/** Everything one gate works with; all on one database handle. */
export interface GateParts {
  readonly database: MigratableDatabase;
  readonly registry: GateRegistry;
  readonly writer: RegistryWriter;
  readonly policy: SafetyPolicy;
  readonly memory: GateAuditLog;
  readonly regression: GateRegression;
  /** The Ed25519 public key imported bundles must be signed with, when one is configured. */
  readonly bundlePublicKey?: BundleKey;
}

/** What one proposal carries through the gate's steps. */
export interface Proposal<C extends Change = Change> {
  readonly change: C;
  readonly evidence: ChangeEvidence;
}

/** Runs one change kind through the gate. */
export type ChangeHandler<C extends Change = Change> = (parts: GateParts, proposal: Proposal<C>) => Promise<GateOutcome>;

export type { UnitOfWork };
