import type { JsonValue } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { parseProgram } from './program.js';
import { evaluateProgram, EvaluationError, jsonEqual } from './semantics.js';

const run = (text: string, input: JsonValue): JsonValue => evaluateProgram(parseProgram(text), input);
const fares = {
  threshold: 300,
  n: 2,
  code: 'lhr',
  fares: [
    { from: 'LHR', to: 'JFK', price: 229.92, carrier: 'BA' },
    { from: 'LHR', to: 'CDG', price: 360.67, carrier: 'AF' },
    { from: 'MAN', to: 'AMS', price: 118.4, carrier: 'BA' },
  ],
};

describe('the interpreter', () => {
  it('computes each operation', () => {
    expect(run('$', 5)).toBe(5);
    expect(run('get($, "code")', fares)).toBe('lhr');
    expect(run('length(get($, "code"))', fares)).toBe(3);
    expect(run('pluck(get($, "fares"), "carrier")', fares)).toEqual(['BA', 'AF', 'BA']);
    expect(run('sum(pluck(get($, "fares"), "price"))', fares)).toBe(229.92 + 360.67 + 118.4);
    expect(run('count(get($, "fares"))', fares)).toBe(3);
    expect(run('min(pluck(get($, "fares"), "price"))', fares)).toBe(118.4);
    expect(run('max(pluck(get($, "fares"), "price"))', fares)).toBe(360.67);
    expect(run('mean(get($, "v"))', { v: [1, 2, 6] })).toBe(3);
    expect(run('median(get($, "v"))', { v: [9, 1, 2] })).toBe(2);
    expect(run('median(get($, "v"))', { v: [10, 1, 4, 8] })).toBe(6);
    expect(run('weighted_mean(get($, "v"), "price", "seats")', { v: [{ price: 10, seats: 1 }, { price: 20, seats: 3 }] })).toBe(17.5);
    expect(run('percent_of_all(count(filter(get($, "v"), ">", 1)))', { v: [1, 2, 3, 4] })).toBe(75);
    expect(run('percent_of_all(sum(take(sort(get($, "v"), "desc"), 1)))', { v: [1, 3, 4, 2] })).toBe(40);
    expect(run('distinct(pluck(get($, "fares"), "carrier"))', fares)).toEqual(['BA', 'AF']);
    expect(run('first(pluck(get($, "fares"), "to"))', fares)).toBe('JFK');
    expect(run('sort(get($, "v"), "asc")', { v: [3, 10, 2] })).toEqual([2, 3, 10]);
    expect(run('sort(get($, "v"), "desc")', { v: ['b', 'c', 'a'] })).toEqual(['c', 'b', 'a']);
    expect(run('pluck(sort_by(get($, "fares"), "carrier", "asc"), "to")', fares)).toEqual(['CDG', 'JFK', 'AMS']);
    expect(run('pluck(sort_by(get($, "fares"), "carrier", "desc"), "to")', fares)).toEqual(['JFK', 'AMS', 'CDG']);
    expect(run('take(get($, "v"), 2)', { v: [1, 2, 3] })).toEqual([1, 2]);
    expect(run('take(get($, "v"), param("n"))', { v: [1, 2, 3], n: 1 })).toEqual([1]);
    expect(run('drop(get($, "v"), 2)', { v: [1, 2, 3] })).toEqual([3]);
    expect(run('filter(get($, "v"), ">", 2)', { v: [1, 2, 3] })).toEqual([3]);
    expect(run('filter(get($, "v"), "<=", 2)', { v: [1, 2, 3] })).toEqual([1, 2]);
    expect(run('filter(get($, "v"), "!=", "a")', { v: ['a', 'b'] })).toEqual(['b']);
    expect(run('count(filter_by(get($, "fares"), "price", ">", param("threshold")))', fares)).toBe(1);
    expect(run('filter_by(get($, "fares"), "carrier", "==", "AF")', fares)).toEqual([fares.fares[1]]);
    expect(run('difference(max(get($, "v")), min(get($, "v")))', { v: [3, 10, 4] })).toBe(7);
    expect(run('group_by(get($, "fares"), "carrier", "count")', fares)).toEqual({ BA: 2, AF: 1 });
    expect(run('group_by(get($, "fares"), "carrier", "sum", "price")', fares)).toEqual({ BA: 229.92 + 118.4, AF: 360.67 });
    expect(run('group_by(get($, "fares"), "carrier", "mean", "price")', fares)).toEqual({ BA: (229.92 + 118.4) / 2, AF: 360.67 });
    expect(run('group_by(get($, "fares"), "carrier", "min", "price")', fares)).toEqual({ BA: 118.4, AF: 360.67 });
    expect(run('group_by(get($, "fares"), "carrier", "max", "price")', fares)).toEqual({ BA: 229.92, AF: 360.67 });
  });

  it('rounds half away from zero on the decimal value, not on the binary product', () => {
    const round = (x: number, digits: number): JsonValue => run(`round(get($, "x"), ${digits})`, { x });
    // The half-cent case: 1.005 · 100 is 100.49999999999999 in binary, so Math.round(x * 100) / 100 gives 1.
    expect(Math.round(1.005 * 100) / 100).toBe(1);
    expect(round(1.005, 2)).toBe(1.01);
    expect(round(-1.005, 2)).toBe(-1.01);
    expect(round(440.595, 2)).toBe(440.6);
    expect(round(440.594, 2)).toBe(440.59);
    // The mean of 100.63 and 100.64 is 100.635 to a person; in binary it comes out as 100.63499999999999.
    expect((100.63 + 100.64) / 2).toBe(100.63499999999999);
    expect(run('round(mean(get($, "v")), 2)', { v: [100.63, 100.64] })).toBe(100.64);
    expect(round(2.5, 0)).toBe(3);
    expect(round(-2.5, 0)).toBe(-3);
    expect(round(0.125, 1)).toBe(0.1);
    expect(round(1234.5678, 0)).toBe(1235);
    expect(round(1e21, 2)).toBe(1e21);
    expect(round(1.5e-7, 2)).toBe(0);
    expect(round(0, 2)).toBe(0);
  });

  it('refuses a weighted mean whose weights add up to 0, and a percentage of 0', () => {
    expect(() => run('weighted_mean(get($, "v"), "price", "seats")', { v: [{ price: 10, seats: 0 }] })).toThrow(EvaluationError);
    expect(() => run('weighted_mean(get($, "v"), "price", "seats")', { v: [] })).toThrow(EvaluationError);
    expect(() => run('percent_of_all(count(filter(get($, "v"), ">", 1)))', { v: [] })).toThrow(EvaluationError);
  });

  it('keeps equal items in their order when sorting (stable), both ways', () => {
    const items = { v: [{ k: 1, id: 'a' }, { k: 0, id: 'b' }, { k: 1, id: 'c' }] };
    expect(run('pluck(sort_by(get($, "v"), "k", "asc"), "id")', items)).toEqual(['b', 'a', 'c']);
    expect(run('pluck(sort_by(get($, "v"), "k", "desc"), "id")', items)).toEqual(['a', 'c', 'b']);
  });

  it('builds group objects safely, whatever the key', () => {
    const value = run('group_by(get($, "v"), "k", "count")', { v: [{ k: '__proto__' }, { k: 'constructor' }] });
    expect(Object.getOwnPropertyNames(value)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(value)).toBe('{"__proto__":1,"constructor":1}');
  });

  it('throws EvaluationError where a program does not apply, instead of coercing', () => {
    const failures: [string, JsonValue][] = [
      ['get($, "missing")', { a: 1 }],
      ['get($, "a")', [1]],
      ['sum(get($, "v"))', { v: [1, '2'] }],
      ['sum(get($, "v"))', { v: 'nope' }],
      ['min(get($, "v"))', { v: [] }],
      ['max(get($, "v"))', { v: [] }],
      ['mean(get($, "v"))', { v: [] }],
      ['median(get($, "v"))', { v: [] }],
      ['first(get($, "v"))', { v: [] }],
      ['sum(get($, "v"))', { v: [1e308, 1e308] }],
      ['sort(get($, "v"), "asc")', { v: [1, 'a'] }],
      ['filter(get($, "v"), ">", 1)', { v: ['a'] }],
      ['take(get($, "v"), param("n"))', { v: [1], n: -1 }],
      ['take(get($, "v"), param("n"))', { v: [1], n: 'two' }],
      ['take(get($, "v"), param("n"))', { v: [1] }],
      ['length(get($, "v"))', { v: 3 }],
      ['round(get($, "v"), 1)', { v: 'x' }],
      ['distinct(get($, "v"))', { v: [[1]] }],
      ['group_by(get($, "v"), "k", "count")', { v: [{ k: null }] }],
      ['group_by(get($, "v"), "k", "sum", "p")', { v: [{ k: 'a', p: 'x' }] }],
      ['difference(get($, "a"), get($, "b"))', { a: 1, b: 'x' }],
    ];
    for (const [text, input] of failures) expect(() => run(text, input), text).toThrow(EvaluationError);
  });
});

describe('jsonEqual', () => {
  it('compares numbers within the tolerance and ignores object key order', () => {
    expect(jsonEqual(0.1 + 0.2, 0.3, { absolute: 1e-9 })).toBe(true);
    expect(jsonEqual(0.1 + 0.2, 0.3, { absolute: 0 })).toBe(false);
    // As the agent compares (core's numbersMatch): to the cent, 440.585 meets 440.59 despite binary floating point.
    expect(jsonEqual(440.585, 440.59, { absolute: 0.005 })).toBe(true);
    expect(jsonEqual(440.584, 440.59, { absolute: 0.005 })).toBe(false);
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, { absolute: 0 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 }, { absolute: 0 })).toBe(false);
    expect(jsonEqual([1, 2], [1, 2, 3], { absolute: 0 })).toBe(false);
    expect(jsonEqual('1', 1, { absolute: 0 })).toBe(false);
    expect(jsonEqual(null, null, { absolute: 0 })).toBe(true);
  });
});
