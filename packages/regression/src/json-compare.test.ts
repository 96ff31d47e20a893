import { describe, expect, it } from 'vitest';
import { formatDifferences, jsonDifferences, jsonEqual } from './json-compare.js';

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

  it('stops at the limit', () => {
    expect(jsonDifferences([1, 2, 3, 4], [5, 6, 7, 8], 0, 2)).toHaveLength(2);
  });
});
