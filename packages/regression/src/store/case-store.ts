import type { RegressionCase } from '@toolwright/core';

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
}

/** Where cases and shadow observations live: in memory, or in the database. */
export interface CaseStore {
  list(tool: string, includeHeldOut: boolean): Promise<StoredCase[]>;
  /** Inserts unless a case with the same tool and input exists; true when inserted. */
  insertIfAbsent(entry: StoredCase): Promise<boolean>;
  /** Inserts, or replaces the expectation, origin and held-out flag of the case with the same input (keeping its id). */
  upsert(entry: StoredCase): Promise<StoredCase>;
  /** Inserts a captured case unless its input is known or the tool already has `limit` captured cases. */
  insertCaptured(entry: StoredCase, limit: number): Promise<'captured' | 'duplicate' | 'cap-reached'>;
  addShadowObservation(observation: ShadowObservation): Promise<void>;
  shadowObservations(tool: string, candidateHash: string): Promise<ShadowObservation[]>;
}
