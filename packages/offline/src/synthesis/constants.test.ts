import { describe, expect, it } from 'vitest';
import { collectConstants, MAX_DATA_CONSTANTS, numbersInText, stringsInText } from './constants.js';

describe('constants from the task text', () => {
  it('reads numbers: digits, decimals, negatives, thousands separators and number words', () => {
    expect(numbersInText('Count the fares over 300')).toEqual([300]);
    expect(numbersInText('Sum the cheapest two fares')).toEqual([2]);
    expect(numbersInText('Between -1.5 and 1,250, then the top Three')).toEqual([-1.5, 1250, 3]);
    expect(numbersInText('Flight BA2490 on route A1 costs £99.')).toEqual([99]);
    expect(numbersInText('someone at the station')).toEqual([]);
  });

  it('reads strings: quoted, codes in capitals, and example values the text mentions', () => {
    expect(stringsInText('Drop every "n/a" and \'tbd\' value', [])).toEqual(['n/a', 'tbd']);
    expect(stringsInText('How many BA fares leave LHR?', [])).toEqual(['BA', 'LHR']);
    expect(stringsInText('Fares to lisbon or Madrid', ['Lisbon', 'Madrid', 'Porto', 'lis'])).toEqual(['Lisbon', 'Madrid']);
    expect(stringsInText("Don't count what isn't there", [])).toEqual([]);
  });
});

describe('constants from the example data', () => {
  it('collects distinct values by record field and by list element, and the longest list', () => {
    const pool = collectConstants(
      [
        { fares: [{ price: 300, carrier: 'BA' }, { price: 120, carrier: 'FR' }], values: [3, 1, 'x'] },
        { fares: [{ price: 120, carrier: 'BA' }], values: [] },
      ],
      'Count the fares over 250 on "FR"',
    );
    expect(pool.byField.get('price')).toEqual({ numbers: [120, 300], strings: [] });
    expect(pool.byField.get('carrier')).toEqual({ numbers: [], strings: ['BA', 'FR'] });
    expect(pool.listElements).toEqual({ numbers: [1, 3], strings: ['x'] });
    expect(pool.maxListLength).toBe(3);
    expect(pool.textNumbers).toEqual([250]);
    expect(pool.textStrings).toEqual(['FR']);
  });

  it(`keeps at most ${MAX_DATA_CONSTANTS} values of a field, spread over its range`, () => {
    const values = Array.from({ length: 500 }, (_, index) => ({ price: index }));
    const numbers = collectConstants([{ fares: values }], '').byField.get('price')?.numbers ?? [];
    expect(numbers).toHaveLength(MAX_DATA_CONSTANTS);
    expect(numbers[0]).toBe(0);
    expect(numbers.at(-1)).toBe(499);
  });
});
