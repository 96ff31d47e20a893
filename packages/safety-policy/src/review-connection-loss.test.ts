import { terminateWhileBlocked } from '@toolwright/store/testing';
import { describe, expect, it } from 'vitest';
import { skipDialect } from './test-support/databases.js';
import { policyOn, useTestStore } from './test-support/fixture.js';

const pin = { kind: 'pin', origin: 'agent', name: 'sum_values' } as const;

// Issue 24: a PostgreSQL connection terminated in the middle of a review (server restart,
// failover) never ends the process: the review's transaction runs again on a new connection,
// or fails with STORAGE_UNREACHABLE having written nothing.
describe.skipIf(skipDialect('postgres'))('a review whose PostgreSQL connection is terminated (postgres)', () => {
  const store = useTestStore('postgres');

  it('runs again on a new connection and records the decision once', async () => {
    const policy = await policyOn(store());
    // The review's first write takes the policy's lock in toolwright_policy_state; reads go through.
    const { result, terminated } = await terminateWhileBlocked(await store().reopen(), 'toolwright_policy_state', () => policy.review(pin, { now: 1 }), { mode: 'exclusive' });
    expect(terminated).toBe(1);
    expect(result.status === 'fulfilled' && result.value.outcome).toBe('allow');
    expect(await store().effectiveRows('sum_values')).toBe(1);
  });

  it('fails with STORAGE_UNREACHABLE, recording nothing, when the connection drops on every attempt', async () => {
    const policy = await policyOn(store());
    const { result, terminated } = await terminateWhileBlocked(await store().reopen(), 'toolwright_policy_state', () => policy.review(pin, { now: 1 }), { mode: 'exclusive', times: 3 });
    expect(terminated).toBe(3);
    expect(result.status).toBe('rejected');
    expect(result.status === 'rejected' && (result.reason as { code?: string }).code).toBe('STORAGE_UNREACHABLE');
    expect(await store().effectiveRows('sum_values')).toBe(0);
    // The handle keeps working.
    expect((await policy.review(pin, { now: 2 })).outcome).toBe('allow');
  });
});
