import type { FeedbackRecord, FeedbackRecordStatus } from '@toolwright/core';
import type { UnitOfWork } from '@toolwright/store';
import type { CaseStore, ShadowObservation, StoredCase } from './case-store.js';

/** Keeps cases in this process only: for tests and for runs that need no persistence. */
export class MemoryCaseStore implements CaseStore {
  readonly #cases: StoredCase[] = [];
  readonly #shadow: ShadowObservation[] = [];
  readonly #feedbackCalls = new Set<string>();

  async list(tool: string, includeHeldOut: boolean): Promise<StoredCase[]> {
    return this.#cases.filter((entry) => entry.tool === tool && (includeHeldOut || !entry.heldOut));
  }

  async ready(): Promise<void> {}

  async insertAllIfAbsent(entries: readonly StoredCase[], unit: UnitOfWork | undefined): Promise<StoredCase[]> {
    const fresh: StoredCase[] = [];
    for (const entry of entries) {
      if (this.#find(entry) === -1 && !fresh.some((other) => other.tool === entry.tool && other.inputHash === entry.inputHash)) fresh.push(entry);
    }
    // In a unit, the cases appear only once it commits: a rollback leaves none behind.
    const apply = (): void => {
      for (const entry of fresh) if (this.#find(entry) === -1) this.#cases.push(entry);
    };
    if (unit === undefined) apply();
    else unit.afterCommit(apply);
    return fresh;
  }

  async upsert(entry: StoredCase): Promise<StoredCase> {
    const index = this.#find(entry);
    if (index === -1) {
      this.#cases.push(entry);
      return entry;
    }
    const existing = this.#cases[index] as StoredCase;
    const updated: StoredCase = { ...existing, expect: entry.expect, origin: entry.origin, heldOut: entry.heldOut, sourceVersion: entry.sourceVersion };
    this.#cases[index] = updated;
    return updated;
  }

  async insertCaptured(entry: StoredCase, limit: number): Promise<'captured' | 'duplicate' | 'cap-reached'> {
    if (this.#find(entry) !== -1) return 'duplicate';
    const captured = this.#cases.filter((existing) => existing.tool === entry.tool && existing.origin === 'captured').length;
    if (captured >= limit) return 'cap-reached';
    this.#cases.push(entry);
    return 'captured';
  }

  async addShadowObservation(observation: ShadowObservation): Promise<void> {
    this.#shadow.push(observation);
  }

  async shadowObservations(tool: string, candidateHash: string): Promise<ShadowObservation[]> {
    return this.#shadow.filter((observation) => observation.tool === tool && observation.candidateHash === candidateHash);
  }

  async shadowDisagreements(tool: string, limit: number): Promise<ShadowObservation[]> {
    return this.#shadow.filter((observation) => observation.tool === tool && !observation.agreed).reverse().slice(0, limit);
  }

  async recordFeedback(record: FeedbackRecord): Promise<FeedbackRecordStatus> {
    if (this.#feedbackCalls.has(record.callId)) return 'already-recorded';
    this.#feedbackCalls.add(record.callId);
    return 'recorded';
  }

  #find(entry: StoredCase): number {
    return this.#cases.findIndex((existing) => existing.tool === entry.tool && existing.inputHash === entry.inputHash);
  }
}
