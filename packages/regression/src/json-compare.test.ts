import { describe, expect, it } from 'vitest';
import { formatDifferences, jsonDifferences, jsonEqual, withinTolerance } from './json-compare.js';

describe('jsonDifferences', () => {
  it('finds nothing between values equal as JSON, whatever the key order', () => {
    expect(jsonDifferences({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toEqual([]);
  });

  it('names each difference by path, including missing and extra keys and array lengths', () => {
    const differences = jsonDifferences({ total: 4, items: [1, 2, 3], extra: true }, { total: 3, items: [1, 2], 'odd key': null });
    expect(differences).toEqual([
      { path: '$.total', expected: 3, actual: 4 },
      { path: '$.items[2]', expected: undefined, actual: 3 },
      { path: '$["odd key"]', expected: null, actual: undefined },
      { path: '$.extra', expected: undefined, actual: true },
    ]);
    expect(formatDifferences(differences)).toBe(
      ['$.total: expected 3, got 4', '$.items[2]: expected (nothing), got 3', '$["odd key"]: expected null, got (nothing)', '$.extra: expected (nothing), got true'].join('\n'),
    );
  });

  it('treats numbers within the tolerance as equal, and only numbers', () => {
    expect(jsonEqual({ total: 590.5900000001 }, { total: 590.59 }, 1e-6)).toBe(true);
    expect(jsonEqual({ total: 590.6 }, { total: 590.59 }, 1e-6)).toBe(false);
    expect(jsonEqual('1', 1, 10)).toBe(false);
    expect(jsonEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
  });

  it('takes an absolute and a relative tolerance: "to the cent" holds at half a cent, in spite of binary floating point', () => {
    // 440.595 - 440.59 is 0.005000000000052 in binary floating point.
    expect(jsonEqual(440.595, 440.59, { absolute: 0.005 })).toBe(true);
    expect(jsonEqual(440.596, 440.59, { absolute: 0.005 })).toBe(false);
    expect(jsonEqual(1_000_001, 1_000_000, { relative: 1e-6 })).toBe(true);
    expect(jsonEqual(1_000_002, 1_000_000, { relative: 1e-6 })).toBe(false);
    // Whichever is looser counts.
    expect(jsonEqual(0.004, 0, { absolute: 0.005, relative: 1e-6 })).toBe(true);
    expect(withinTolerance(0.1 + 0.2, 0.3)).toBe(false);
    expect(withinTolerance(0.1 + 0.2, 0.3, { absolute: 0, relative: 0 })).toBe(false);
  });

  it('stops at the limit', () => {
    expect(jsonDifferences([1, 2, 3, 4], [5, 6, 7, 8], 0, 2)).toHaveLength(2);
  });
});
