import { describe, expect, it } from 'vitest';
import { welchTTestGreater } from './welch-t-test.js';
import { expectRelativelyClose } from './test-helpers.js';

// Reference values: scipy.stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False,
// alternative='greater') (SciPy 1.17.1); the first sample is the current window.
const REFERENCE: readonly (readonly [number, number, number, number, number, number, number, number])[] = [
  [400, 100, 100, 200, 50, 100, 17.88854381999832, 7.026129433828411e-39],
  [210, 60, 40, 200, 50, 40, 0.809776330178916, 0.2103060823951691],
  [1200, 900, 50, 1000, 800, 200, 1.435916317235476, 0.07775274682106822],
  [105, 20, 1000, 100, 20, 1000, 5.5901699437494745, 1.289886324872529e-8],
];

describe('welchTTestGreater', () => {
  it.each(REFERENCE)('mean %d (sd %d, n %d) vs %d (sd %d, n %d) matches SciPy', (m1, s1, n1, m2, s2, n2, t, p) => {
    const result = welchTTestGreater(
      { mean: m1, standardDeviation: s1, count: n1 },
      { mean: m2, standardDeviation: s2, count: n2 },
    );
    expectRelativelyClose(result.t, t, 1e-12);
    expectRelativelyClose(result.pValue, p, 1e-7);
  });

  it('is exact when neither side varies', () => {
    const slower = welchTTestGreater({ mean: 150, standardDeviation: 0, count: 30 }, { mean: 100, standardDeviation: 0, count: 30 });
    expect(slower).toMatchObject({ t: Number.POSITIVE_INFINITY, pValue: 0 });
    const same = welchTTestGreater({ mean: 100, standardDeviation: 0, count: 30 }, { mean: 100, standardDeviation: 0, count: 30 });
    expect(same.pValue).toBe(1);
  });

  it('gives a large p-value when the current mean is lower', () => {
    const faster = welchTTestGreater({ mean: 90, standardDeviation: 10, count: 50 }, { mean: 100, standardDeviation: 10, count: 50 });
    expect(faster.pValue).toBeGreaterThan(0.99);
  });
});
