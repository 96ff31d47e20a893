import { expect } from 'vitest';

/** Asserts `actual` is within `relative` of `expected` (relative error), or both are 0. */
export function expectRelativelyClose(actual: number, expected: number, relative = 1e-9): void {
  if (expected === 0) {
    expect(actual).toBe(0);
    return;
  }
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(relative);
}
