import type { FeedbackRecord, FeedbackRecordStatus, JsonValue, RegressionCase } from '@toolwright/core';
import type { UnitOfWork } from '@toolwright/store';

/** A case as stored: the public case plus what the store needs to keep it unique and ordered. */
export interface StoredCase extends RegressionCase {
  readonly inputHash: string;
  /** For captured cases: the version whose output became the golden. */
  readonly sourceVersion: number | undefined;
  readonly createdAt: number;
}

/** One shadow observation: the candidate ran beside the active version on one live input. */
export interface ShadowObservation {
  readonly tool: string;
  /** `contentHash` of the candidate (as the registry computes it for a version). */
  readonly candidateHash: string;
  readonly activeVersion: number | undefined;
  readonly inputHash: string;
  readonly activeOk: boolean;
  readonly candidateOk: boolean;
  /** Both succeeded with equal outputs. */
  readonly agreed: boolean;
  readonly activeMs: number;
  readonly candidateMs: number;
  readonly candidateErrorCode: string | undefined;
  readonly at: number;
  /**
   * For a post-promotion comparison (the agent's `recordShadowComparison`): the shadowed side is
   * the version the active one replaced; its number, both outputs and which side a ground
   * truth backs. Absent for a candidate's shadow run (`shadow()`).
   */
  readonly candidateVersion?: number | undefined;
  readonly activeOutput?: JsonValue | undefined;
  readonly candidateOutput?: JsonValue | undefined;
  readonly truth?: 'active' | 'reference' | 'neither' | undefined;
}

/** Where cases and shadow observations live: in memory, or in the database. */
export interface CaseStore {
  /** Resolves once the store can be used (its tables migrated); rejects with the migration's error. */
  ready(): Promise<void>;
  list(tool: string, includeHeldOut: boolean): Promise<StoredCase[]>;
  /**
   * Inserts each entry unless a case with the same tool and input exists, all or none: inside
   * `unit` when one is given (kept only if it commits), else in a transaction of its own.
   * Resolves to the entries inserted.
   */
  insertAllIfAbsent(entries: readonly StoredCase[], unit: UnitOfWork | undefined): Promise<StoredCase[]>;
  /** Inserts, or replaces the expectation, origin and held-out flag of the case with the same input (keeping its id). */
  upsert(entry: StoredCase): Promise<StoredCase>;
  /** Inserts a captured case unless its input is known or the tool already has `limit` captured cases. */
  insertCaptured(entry: StoredCase, limit: number): Promise<'captured' | 'duplicate' | 'cap-reached'>;
  addShadowObservation(observation: ShadowObservation): Promise<void>;
  shadowObservations(tool: string, candidateHash: string): Promise<ShadowObservation[]>;
  /** The newest observations of a tool in which the two sides disagreed, newest first. */
  shadowDisagreements(tool: string, limit: number): Promise<ShadowObservation[]>;
  /** Keeps a call id judged wrong unless it is kept already (one row per call id; a unique key decides races). */
  recordFeedback(record: FeedbackRecord): Promise<FeedbackRecordStatus>;
}
