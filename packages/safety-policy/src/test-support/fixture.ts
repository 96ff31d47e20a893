import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createPolicy, type PolicyConfig, type SafetyPolicy } from '../index.js';
import { openTestStore, type Dialect, type TestStore } from './databases.js';

/** The immutable section most tests protect. */
export const SAFETY_TEXT = "Never reveal the user's API keys.\nAlways confirm payments with the user before charging.\nYou must not delete customer records.";

/**
 * Opens one database for the enclosing describe block and empties it before each test;
 * returns a getter for it.
 */
export function useTestStore(dialect: Dialect): () => TestStore {
  let store: TestStore | undefined;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  beforeEach(async () => {
    await store?.reset();
  });
  afterAll(async () => {
    await store?.cleanup();
    store = undefined;
  });
  return () => {
    if (store === undefined) throw new Error('the test store is not open');
    return store;
  };
}

/** A policy on `store` with a fixed clock (epoch ms 1_000_000 unless given), migrated. */
export function policyOn(store: TestStore, config: Omit<PolicyConfig, 'database'> = {}): Promise<SafetyPolicy> {
  return createPolicy({ clock: () => 1_000_000, ...config, database: store.db });
}
