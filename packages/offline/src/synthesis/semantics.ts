import { numbersMatch, type JsonValue, type NumericTolerance } from '@toolwright/core';
import { unfiltered, type Comparison, type Program, type Scalar } from './program.js';
import { isRecord } from './value-type.js';

/**
 * What each operation does, in-process. The TypeScript the synthesiser emits
 * (`emit-typescript.ts`) computes exactly this, in the same order of operations, so a
 * program that reproduces the examples here reproduces them in the sandbox too. Where the
 * emitted code would rely on JavaScript's coercions, this interpreter refuses instead
 * (it throws {@link EvaluationError}): it is stricter, never looser.
 */

/** A program cannot be applied to a value (wrong type, empty list, missing field). */
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
}

function fail(message: string): never {
  throw new EvaluationError(message);
}

function list(value: JsonValue | undefined, op: string): JsonValue[] {
  if (!Array.isArray(value)) fail(`${op} needs a list`);
  return value;
}

function numbers(value: JsonValue | undefined, op: string): number[] {
  const items = list(value, op);
  for (const item of items) if (typeof item !== 'number') fail(`${op} needs a list of numbers`);
  return items as number[];
}

function finite(value: number, op: string): number {
  if (!Number.isFinite(value)) fail(`${op} gave ${value}, which JSON cannot carry`);
  return value;
}

function field(value: JsonValue | undefined, name: string, op: string): JsonValue {
  if (!isRecord(value) || !Object.hasOwn(value, name)) fail(`${op} needs records with the field "${name}"`);
  return value[name] as JsonValue;
}

/** Same as the emitted `ascending`: numbers by value, strings by code unit; nothing else. */
export function ascending(a: JsonValue, b: JsonValue): number {
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
    fail('only numbers, or only strings, can be sorted');
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sumOf(values: readonly number[]): number {
  return finite(values.reduce((total, value) => total + value, 0), 'sum');
}

export function minOf(values: readonly number[]): number {
  if (values.length === 0) fail('min of an empty list');
  return values.reduce((smallest, value) => (value < smallest ? value : smallest));
}

export function maxOf(values: readonly number[]): number {
  if (values.length === 0) fail('max of an empty list');
  return values.reduce((largest, value) => (value > largest ? value : largest));
}

export function meanOf(values: readonly number[]): number {
  if (values.length === 0) fail('mean of an empty list');
  return finite(values.reduce((total, value) => total + value, 0) / values.length, 'mean');
}

export function medianOf(values: readonly number[]): number {
  if (values.length === 0) fail('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : finite(((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2, 'median');
}

/** `text` (a number's decimal text, maybe with an exponent) times 10^`by`, shifted in the text. */
function shifted(text: string, by: number): number {
  const [mantissa, exponent = '0'] = text.split('e');
  return Number(`${mantissa}e${Number(exponent) + by}`);
}

/**
 * Rounds to `digits` decimal places the way a person rounds the number as written: half away
 * from zero, on its decimal value to 15 significant digits (all a double holds exactly), by
 * shifting the decimal point in the text rather than multiplying. So 1.005 → 1.01 (where
 * `Math.round(1.005 * 100) / 100` gives 1, because 1.005 · 100 is 100.49999999999999),
 * −1.005 → −1.01, 440.595 → 440.6, and the mean of 100.63 and 100.64 (computed as
 * 100.63499999999999) → 100.64.
 */
export function roundTo(value: number, digits: number): number {
  // Fast path, same result: away from a half, the binary product rounds to the same integer,
  // and an integer divided by 10^digits is the number its decimal text reads as.
  const scaled = value * 10 ** digits;
  const fraction = Math.abs(scaled - Math.trunc(scaled));
  if (Math.abs(scaled) < 2 ** 52 && Math.abs(fraction - 0.5) > 1e-12 * Math.max(1, Math.abs(scaled))) return finite(Math.round(scaled) / 10 ** digits, 'round');
  const magnitude = Math.round(shifted(String(Number(Math.abs(value).toPrecision(15))), digits));
  return finite(Math.sign(value) * shifted(String(magnitude), -digits), 'round');
}

/** `Σ value · weight / Σ weight`; fails when the weights add up to 0. */
export function weightedMeanOf(values: readonly number[], weights: readonly number[]): number {
  let total = 0;
  let weight = 0;
  values.forEach((value, index) => {
    const w = weights[index] as number;
    total += value * w;
    weight += w;
  });
  if (weight === 0) fail('weighted mean with weights that add up to 0');
  return finite(total / weight, 'weighted_mean');
}

/** `100 · part / whole`; fails when `whole` is 0. */
export function percentOf(part: number, whole: number): number {
  if (whole === 0) fail('percent of 0');
  return finite((100 * part) / whole, 'percent');
}

function scalar(value: Scalar, root: JsonValue): number | string | boolean {
  if (value.kind === 'const') return value.value;
  const found = field(root, value.field, 'param');
  if (typeof found !== 'number' && typeof found !== 'string' && typeof found !== 'boolean') fail(`the input field "${value.field}" is not a number, string or boolean`);
  return found;
}

function compare(left: JsonValue, compare: Comparison, right: number | string | boolean): boolean {
  if (typeof left !== typeof right) fail(`cannot compare a ${typeof left} with a ${typeof right}`);
  switch (compare) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '>':
      return (left as number) > (right as number);
    case '<':
      return (left as number) < (right as number);
    case '>=':
      return (left as number) >= (right as number);
    case '<=':
      return (left as number) <= (right as number);
  }
}

function count(value: Scalar, root: JsonValue, op: string): number {
  const k = scalar(value, root);
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0) fail(`${op} needs a whole number of items, not ${JSON.stringify(k)}`);
  return k;
}

function groupKey(value: JsonValue): string {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') fail('group_by needs a string, number or boolean key');
  return String(value);
}

/**
 * Applies one operation, given the values of its operands (`operands[0]`, and
 * `operands[1]` for `difference`) and the tool's argument (for `param(...)`).
 */
export function step(program: Program, operands: readonly JsonValue[], root: JsonValue): JsonValue {
  const operand = operands[0] as JsonValue;
  switch (program.op) {
    case 'input':
      return root;
    case 'get':
      return field(operand, program.field, 'get');
    case 'pluck':
      return list(operand, 'pluck').map((item) => field(item, program.field, 'pluck'));
    case 'sum':
      return sumOf(numbers(operand, 'sum'));
    case 'count':
      return list(operand, 'count').length;
    case 'min':
      return minOf(numbers(operand, 'min'));
    case 'max':
      return maxOf(numbers(operand, 'max'));
    case 'mean':
      return meanOf(numbers(operand, 'mean'));
    case 'median':
      return medianOf(numbers(operand, 'median'));
    case 'distinct': {
      const items = list(operand, 'distinct');
      for (const item of items) if (typeof item === 'object' && item !== null) fail('distinct needs a list of numbers, strings or booleans');
      return Array.from(new Set(items));
    }
    case 'length':
      if (typeof operand !== 'string') fail('length needs a string');
      return operand.length;
    case 'first': {
      const items = list(operand, 'first');
      if (items.length === 0) fail('first of an empty list');
      return items[0] as JsonValue;
    }
    case 'sort': {
      const items = list(operand, 'sort');
      return program.order === 'asc' ? [...items].sort((a, b) => ascending(a, b)) : [...items].sort((a, b) => ascending(b, a));
    }
    case 'sort_by': {
      const items = list(operand, 'sort_by');
      const key = (item: JsonValue): JsonValue => field(item, program.field, 'sort_by');
      return program.order === 'asc'
        ? [...items].sort((a, b) => ascending(key(a), key(b)))
        : [...items].sort((a, b) => ascending(key(b), key(a)));
    }
    case 'take':
      return list(operand, 'take').slice(0, count(program.count, root, 'take'));
    case 'drop':
      return list(operand, 'drop').slice(count(program.count, root, 'drop'));
    case 'filter': {
      const value = scalar(program.value, root);
      return list(operand, 'filter').filter((item) => compare(item, program.compare, value));
    }
    case 'filter_by': {
      const value = scalar(program.value, root);
      return list(operand, 'filter_by').filter((item) => compare(field(item, program.field, 'filter_by'), program.compare, value));
    }
    case 'round':
      if (typeof operand !== 'number') fail('round needs a number');
      return roundTo(operand, program.digits);
    case 'difference': {
      const right = operands[1];
      if (typeof operand !== 'number' || typeof right !== 'number') fail('difference needs two numbers');
      return finite(operand - right, 'difference');
    }
    case 'percent_of_all': {
      if (typeof operand !== 'number') fail('percent_of_all needs a number');
      const whole = evaluateProgram(unfiltered(program.of), root);
      if (typeof whole !== 'number') fail('percent_of_all needs a number');
      return percentOf(operand, whole);
    }
    case 'weighted_mean': {
      const items = list(operand, 'weighted_mean');
      const values = numbers(items.map((item) => field(item, program.field, 'weighted_mean')), 'weighted_mean');
      const weights = numbers(items.map((item) => field(item, program.weight, 'weighted_mean')), 'weighted_mean');
      return weightedMeanOf(values, weights);
    }
    case 'group_by': {
      const groups = new Map<string, JsonValue[]>();
      for (const item of list(operand, 'group_by')) {
        const name = groupKey(field(item, program.key, 'group_by'));
        const group = groups.get(name);
        if (group) group.push(item);
        else groups.set(name, [item]);
      }
      const aggregate = (group: JsonValue[]): number => {
        if (program.aggregate === 'count') return group.length;
        const values = numbers(group.map((item) => field(item, program.field ?? '', 'group_by')), 'group_by');
        switch (program.aggregate) {
          case 'sum':
            return sumOf(values);
          case 'min':
            return minOf(values);
          case 'max':
            return maxOf(values);
          case 'mean':
            return meanOf(values);
        }
      };
      return Object.fromEntries([...groups].map(([name, group]) => [name, aggregate(group)]));
    }
  }
}

/**
 * Runs a program on one argument. Throws {@link EvaluationError} when the program does not
 * apply to it.
 */
export function evaluateProgram(program: Program, input: JsonValue): JsonValue {
  switch (program.op) {
    case 'input':
      return input;
    case 'difference':
      return step(program, [evaluateProgram(program.left, input), evaluateProgram(program.right, input)], input);
    default:
      return step(program, [evaluateProgram(program.of, input)], input);
  }
}

/** True when two JSON values are equal, numbers within `tolerance` as the agent compares them (core's `numbersMatch`); object key order never matters. */
export function jsonEqual(actual: JsonValue | undefined, expected: JsonValue | undefined, tolerance: NumericTolerance): boolean {
  if (typeof actual === 'number' && typeof expected === 'number') return numbersMatch(expected, actual, tolerance);
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.length === expected.length && actual.every((item, index) => jsonEqual(item, expected[index], tolerance));
  }
  if (isRecord(actual) && isRecord(expected)) {
    const keys = Object.keys(actual);
    return keys.length === Object.keys(expected).length && keys.every((key) => Object.hasOwn(expected, key) && jsonEqual(actual[key], expected[key], tolerance));
  }
  return actual === expected;
}
