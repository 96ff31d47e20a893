import { z } from 'zod';
import { canonicalJson } from '../hash.js';
import type { JsonValue } from '../json.js';

/**
 * How close a number must be to the expected one to count as equal: within `absolute`, or
 * within `relative` × the larger magnitude — whichever is looser. `{ absolute: 0.005 }` is "to
 * the cent"; `{ relative: 1e-6 }` is "to six significant digits".
 */
export interface NumericTolerance {
  /** Default 1e-9. */
  readonly absolute?: number;
  /** Default 0. */
  readonly relative?: number;
}

/** The zod schema of {@link NumericTolerance}. */
export const numericToleranceSchema = z
  .object({
    absolute: z.number().nonnegative().finite().max(1e12).default(1e-9),
    relative: z.number().nonnegative().max(1).default(0),
  })
  .strict();

/** The tolerance every example is checked at unless one is given: 1e-9 absolute, nothing relative. */
export const DEFAULT_EXAMPLE_TOLERANCE: Readonly<Required<NumericTolerance>> = Object.freeze({ absolute: 1e-9, relative: 0 });

/** Whether two numbers are equal within `tolerance`. */
export function numbersMatch(expected: number, actual: number, tolerance: NumericTolerance = DEFAULT_EXAMPLE_TOLERANCE): boolean {
  if (expected === actual) return true;
  const absolute = tolerance.absolute ?? DEFAULT_EXAMPLE_TOLERANCE.absolute;
  const relative = tolerance.relative ?? DEFAULT_EXAMPLE_TOLERANCE.relative;
  if (absolute <= 0 && relative <= 0) return false;
  const difference = Math.abs(expected - actual);
  // A hair of slack for binary floating point: 440.59 - 440.585 is 0.005000000000052.
  const slack = 1e-12 * Math.max(1, Math.abs(expected), Math.abs(actual));
  return difference <= absolute + slack || difference <= relative * Math.max(Math.abs(expected), Math.abs(actual)) + slack;
}

/** Deep JSON equality, numbers within `tolerance`, key order ignored. */
export function outputsMatch(expected: JsonValue, actual: JsonValue, tolerance: NumericTolerance = DEFAULT_EXAMPLE_TOLERANCE): boolean {
  if (typeof expected === 'number' && typeof actual === 'number') return numbersMatch(expected, actual, tolerance);
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((item, index) => outputsMatch(item, actual[index] as JsonValue, tolerance));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    const keys = Object.keys(expected);
    if (keys.length !== Object.keys(actual).length) return false;
    return keys.every((key) => Object.hasOwn(actual, key) && outputsMatch(expected[key] as JsonValue, actual[key] as JsonValue, tolerance));
  }
  return canonicalJson(expected) === canonicalJson(actual);
}
