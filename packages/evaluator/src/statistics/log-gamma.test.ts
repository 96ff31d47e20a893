import { describe, expect, it } from 'vitest';
import { logChoose, logGamma } from './log-gamma.js';
import { expectRelativelyClose } from './test-helpers.js';

// Reference values: scipy.special.gammaln (SciPy 1.17.1).
const REFERENCE: readonly (readonly [number, number])[] = [
  [0.5, 0.5723649429247],
  [1.5, -0.12078223763524526],
  [3.7, 1.428072326665388],
  [10, 12.801827480081469],
  [100.5, 361.43554046777757],
  [100001, 1051299.2218991218],
];

describe('logGamma', () => {
  it.each(REFERENCE)('logGamma(%d) matches SciPy', (x, expected) => {
    expectRelativelyClose(logGamma(x), expected, 1e-12);
  });

  it('is ln((n-1)!) at integers, and 0 at 1 and 2', () => {
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-14);
    expect(Math.abs(logGamma(2))).toBeLessThan(1e-14);
    expectRelativelyClose(logGamma(7), Math.log(720), 1e-13);
  });

  it('is NaN outside its domain', () => {
    expect(logGamma(0)).toBeNaN();
    expect(logGamma(-1)).toBeNaN();
  });

  it('logChoose agrees with exact binomial coefficients', () => {
    expectRelativelyClose(Math.exp(logChoose(40, 3)), 9880, 1e-12);
    expectRelativelyClose(Math.exp(logChoose(52, 5)), 2598960, 1e-12);
    expect(Math.abs(logChoose(10, 0))).toBeLessThan(1e-13);
  });
});
