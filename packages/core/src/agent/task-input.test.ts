import { describe, expect, it } from 'vitest';
import { describeTask, preview, resolveReferences, UnresolvedReference } from './task-input.js';

const fare = (price: number) => ({ from: 'AMS', to: 'LIS', carrier: 'TP', departure: '2026-12-03T07:15', price });
const big = { fares: Array.from({ length: 12 }, (_, index) => fare(100 + index)) };
const examples = [{ input: { fares: [fare(1), fare(2), fare(3)] }, output: 6 }, { input: { fares: [fare(4), fare(5), fare(6), fare(7)] }, output: 22 }];

describe('the user message', () => {
  it('shows a small input and its examples in full', () => {
    expect(describeTask('Total', { fares: [1, 2] }, [{ input: { fares: [1] }, output: 1 }], 'tools')).toBe('Total\n\nInput (JSON):\n{"fares":[1,2]}\n\nExamples (input → expected output):\n{"fares":[1]} → 1');
  });

  it('shows a large input as a preview with the reference, and large examples by their outputs', () => {
    const text = describeTask('Total the fares.', big, examples, 'tools');
    expect(text).toBe(
      'Total the fares.\n\nInput (preview):\n{"fares":[{"from":"AMS","to":"LIS","carrier":"TP","departure":"2026-12-03T07:15","price":100}, …12 items]}\nPass it to tools as {"$ref":"input"}.\n\n' +
        'Examples: 2 (inputs shaped like the task input); expected outputs: 6, 22. create_tool tests on them when you give none.',
    );
    expect(describeTask('Total the fares.', big, [{ input: { prices: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map((n) => n * 1000.5) }, output: 1 }, ...examples], 'tools')).toContain('inputs: {"prices":[1000.5, …20 items]}');
  });

  it('keeps everything inline for the static baseline, which has no tools to pass a reference to', () => {
    expect(describeTask('Total', big, undefined, 'no-tools')).toBe(`Total\n\nInput (JSON):\n${JSON.stringify(big)}`);
  });

  it('previews nested arrays by their first item and length', () => {
    expect(preview({ a: [[1, 2], [3]], b: 'x', c: [] })).toBe('{"a":[[1, …2 items], …2 items],"b":"x","c":[]}');
  });
});

describe('input references', () => {
  it('replaces {"$ref":"input"} and dotted paths, anywhere in the argument', () => {
    const input = { fares: [1, 2], meta: { currency: 'EUR' } };
    expect(resolveReferences({ $ref: 'input' }, input)).toEqual(input);
    expect(resolveReferences({ prices: { $ref: 'input.fares' }, currency: { $ref: 'input.meta.currency' }, first: { $ref: 'input.fares.0' } }, input)).toEqual({ prices: [1, 2], currency: 'EUR', first: 1 });
    expect(resolveReferences({ $ref: 'elsewhere' }, input)).toEqual({ $ref: 'elsewhere' });
  });

  it('throws UnresolvedReference for a path that names nothing, or a task without input', () => {
    expect(() => resolveReferences({ $ref: 'input.prices' }, { fares: [] })).toThrow(UnresolvedReference);
    expect(() => resolveReferences({ $ref: 'input' }, undefined)).toThrow('this task has none');
  });
});
