import { describe, expect, it } from 'vitest';
import { studentTUpperTail } from './student-t.js';
import { expectRelativelyClose } from './test-helpers.js';

// Reference values: scipy.stats.t.sf(t, df) (SciPy 1.17.1).
const REFERENCE: readonly (readonly [number, number, number])[] = [
  [2.0, 10, 0.03669401738537018],
  [1.0, 1, 0.25000000000000006],
  [3.5, 2.5, 0.026172773480160172],
  [0.5, 100, 0.3090867829154433],
  [-1.2, 7, 0.8654140315863967],
  [8, 3, 0.002038288793892733],
  [2.1, 1000.5, 0.017989374632431186],
];

describe('studentTUpperTail', () => {
  it.each(REFERENCE)('P(T >= %d) with %d degrees of freedom matches SciPy', (t, df, expected) => {
    expectRelativelyClose(studentTUpperTail(t, df), expected, 1e-9);
  });

  it('matches the closed form for 2 degrees of freedom', () => {
    for (const t of [0.1, 1, 4.2, 30]) {
      expectRelativelyClose(studentTUpperTail(t, 2), 0.5 - t / (2 * Math.sqrt(t * t + 2)), 1e-9);
    }
  });

  it('is 1/2 at 0 and handles infinite t', () => {
    expectRelativelyClose(studentTUpperTail(0, 5), 0.5, 1e-14);
    expect(studentTUpperTail(Number.POSITIVE_INFINITY, 5)).toBe(0);
    expect(studentTUpperTail(Number.NEGATIVE_INFINITY, 5)).toBe(1);
    expect(studentTUpperTail(Number.NaN, 5)).toBeNaN();
  });
});
