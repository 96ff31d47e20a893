import { describe, expect, it } from 'vitest';
import { regularizedIncompleteBeta } from './incomplete-beta.js';
import { expectRelativelyClose } from './test-helpers.js';

// Reference values: scipy.special.betainc(a, b, x) (SciPy 1.17.1).
const REFERENCE: readonly (readonly [number, number, number, number])[] = [
  [0.5, 0.5, 0.3, 0.36901011956554536],
  [2, 3, 0.4, 0.5247999999999999],
  [5, 0.5, 0.9, 0.3166429150200122],
  [50, 0.5, 0.99, 0.3173043978741973],
  [0.5, 20, 0.01, 0.4713699354850154],
  [200, 0.5, 0.995, 0.15703865369788875],
];

describe('regularizedIncompleteBeta', () => {
  it.each(REFERENCE)('I(a=%d, b=%d, x=%d) matches SciPy', (a, b, x, expected) => {
    expectRelativelyClose(regularizedIncompleteBeta(x, a, b), expected, 1e-10);
  });

  it('is 0 and 1 at the ends, and symmetric: I_x(a,b) = 1 - I_(1-x)(b,a)', () => {
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
    expectRelativelyClose(regularizedIncompleteBeta(0.3, 4, 7), 1 - regularizedIncompleteBeta(0.7, 7, 4), 1e-12);
  });

  it('is NaN for parameters outside its domain', () => {
    expect(regularizedIncompleteBeta(0.5, 0, 1)).toBeNaN();
    expect(regularizedIncompleteBeta(Number.NaN, 1, 1)).toBeNaN();
  });
});
