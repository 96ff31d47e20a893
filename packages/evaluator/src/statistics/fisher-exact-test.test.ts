import { describe, expect, it } from 'vitest';
import { fisherExactTestGreater, hypergeometricUpperTail } from './fisher-exact-test.js';
import { expectRelativelyClose } from './test-helpers.js';

// Reference values: scipy.stats.fisher_exact([[cf, cn - cf], [bf, bn - bf]], alternative='greater')
// (SciPy 1.17.1); columns: current failures, current count, baseline failures, baseline count, p.
const REFERENCE: readonly (readonly [number, number, number, number, number])[] = [
  [15, 100, 1, 100, 0.0001577256487335013],
  [3, 20, 0, 20, 0.1153846153846154],
  [3, 40, 2, 100, 0.1407862378493792],
  [75, 1000, 20, 1000, 2.6448680009414974e-9],
  [0, 10, 0, 10, 1],
  [5, 5, 0, 5, 0.003968253968253969],
  [1, 100, 3, 100, 0.9393796393133178],
  [150, 10000, 100, 10000, 0.0008813404794922027],
  [1200, 100000, 1000, 100000, 9.819753401194035e-6],
  [7, 30, 1, 30, 0.026157421929391036],
];

/** Exact P(X >= observed) with BigInt binomial coefficients: an independent oracle. */
function exactUpperTail(observed: number, population: number, marked: number, draws: number): number {
  const choose = (n: number, k: number): bigint => {
    if (k < 0 || k > n) return 0n;
    let result = 1n;
    for (let i = 0; i < k; i += 1) result = (result * BigInt(n - i)) / BigInt(i + 1);
    return result;
  };
  let numerator = 0n;
  for (let k = observed; k <= Math.min(marked, draws); k += 1) {
    numerator += choose(marked, k) * choose(population - marked, draws - k);
  }
  const denominator = choose(population, draws);
  const scale = 10n ** 30n;
  return Number((numerator * scale) / denominator) / Number(scale);
}

describe('fisherExactTestGreater', () => {
  it.each(REFERENCE)('%d/%d failures vs %d/%d matches SciPy', (cf, cn, bf, bn, expected) => {
    expectRelativelyClose(fisherExactTestGreater({ failures: cf, count: cn }, { failures: bf, count: bn }), expected, 1e-8);
  });

  it('agrees with exact rational arithmetic on every table of two windows of 12', () => {
    for (let currentFailures = 0; currentFailures <= 12; currentFailures += 1) {
      for (let baselineFailures = 0; baselineFailures <= 12; baselineFailures += 1) {
        const p = fisherExactTestGreater({ failures: currentFailures, count: 12 }, { failures: baselineFailures, count: 12 });
        const exact = exactUpperTail(currentFailures, 24, currentFailures + baselineFailures, 12);
        expect(Math.abs(p - exact)).toBeLessThan(1e-12);
      }
    }
  });

  it('is 1 at or below the support and 0 above it', () => {
    expect(hypergeometricUpperTail(0, 10, 3, 5)).toBe(1);
    expect(hypergeometricUpperTail(4, 10, 3, 5)).toBe(0);
  });
});
