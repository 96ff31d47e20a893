import type { CaseStore, ShadowObservation, StoredCase } from './case-store.js';

/** Keeps cases in this process only: for tests and for runs that need no persistence. */
export class MemoryCaseStore implements CaseStore {
  readonly #cases: StoredCase[] = [];
  readonly #shadow: ShadowObservation[] = [];

  async list(tool: string, includeHeldOut: boolean): Promise<StoredCase[]> {
    return this.#cases.filter((entry) => entry.tool === tool && (includeHeldOut || !entry.heldOut));
  }

  async insertIfAbsent(entry: StoredCase): Promise<boolean> {
    if (this.#find(entry) !== -1) return false;
    this.#cases.push(entry);
    return true;
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

  #find(entry: StoredCase): number {
    return this.#cases.findIndex((existing) => existing.tool === entry.tool && existing.inputHash === entry.inputHash);
  }
}
