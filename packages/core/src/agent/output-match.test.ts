import { describe, expect, it } from 'vitest';
import { numbersMatch, outputsMatch } from './output-match.js';

describe('outputsMatch', () => {
  it('compares numbers within the absolute or the relative tolerance, whichever is looser', () => {
    expect(numbersMatch(440.59, 440.595, { absolute: 0.005 })).toBe(true);
    expect(numbersMatch(440.59, 440.6, { absolute: 0.005 })).toBe(false);
    expect(numbersMatch(1_000_000, 1_000_001, { absolute: 0, relative: 1e-6 })).toBe(true);
    expect(numbersMatch(0.3, 0.1 + 0.2)).toBe(true);
    expect(numbersMatch(0.3, 0.31)).toBe(false);
  });

  it('compares JSON deeply, key order aside', () => {
    expect(outputsMatch({ total: 3, items: [1, { a: 'x' }] }, { items: [1, { a: 'x' }], total: 3.0000000001 })).toBe(true);
    expect(outputsMatch({ total: 3 }, { total: 3, extra: null })).toBe(false);
    expect(outputsMatch([1, 2], [1, 2, 3])).toBe(false);
    expect(outputsMatch('3', 3)).toBe(false);
    expect(outputsMatch(null, null)).toBe(true);
  });
});
