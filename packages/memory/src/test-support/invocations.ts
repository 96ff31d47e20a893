import { contentHash, type Invocation } from '@toolwright/core';

/** A valid invocation, with `overrides` applied. */
export function invocation(overrides: Partial<Invocation> = {}): Invocation {
  return {
    tool: 'total_fares',
    version: 1,
    startedAt: 1_000,
    durationMs: 5,
    outcome: { ok: true },
    inputHash: contentHash({ fares: [1, 2] }),
    outputHash: contentHash(3),
    ...overrides,
  };
}

/** A failed invocation with error `code`. */
export function failure(code: string, overrides: Partial<Invocation> = {}): Invocation {
  const { outputHash: _outputHash, ...rest } = invocation(overrides);
  return { ...rest, outcome: { ok: false, error: { code, message: `${code} happened` } }, ...overrides };
}
