import type { JsonValue } from '@toolwright/core';

/** One place where two JSON values differ. */
export interface JsonDifference {
  /** Where, as a JSONPath-like string: `$`, `$.total`, `$.items[2].price`. */
  readonly path: string;
  readonly expected: JsonValue | undefined;
  readonly actual: JsonValue | undefined;
}

/**
 * A numeric tolerance: a number is an absolute one; `{ absolute, relative }` counts two numbers
 * equal within `absolute`, or within `relative` × the larger magnitude, whichever is looser.
 */
export type Tolerance = number | { readonly absolute?: number; readonly relative?: number };

/**
 * Whether two numbers are equal within `tolerance`. A tolerance above 0 allows a further hair
 * (1e-12 of the magnitude) for binary floating point, so 440.595 is within 0.005 of 440.59.
 */
export function withinTolerance(actual: number, expected: number, tolerance: Tolerance = 0): boolean {
  if (actual === expected) return true;
  const absolute = typeof tolerance === 'number' ? tolerance : (tolerance.absolute ?? 0);
  const relative = typeof tolerance === 'number' ? 0 : (tolerance.relative ?? 0);
  if (absolute <= 0 && relative <= 0) return false;
  const difference = Math.abs(actual - expected);
  const magnitude = Math.max(Math.abs(actual), Math.abs(expected));
  const slack = 1e-12 * Math.max(1, magnitude);
  return difference <= absolute + slack || difference <= relative * magnitude + slack;
}

/**
 * Every difference between `actual` and `expected`, deep. Numbers are equal when they are
 * within `tolerance` of each other (see {@link withinTolerance}); object key order never
 * matters. Stops after `limit` differences (the count in a message is then "at least").
 */
export function jsonDifferences(actual: JsonValue | undefined, expected: JsonValue | undefined, tolerance: Tolerance = 0, limit = 50): JsonDifference[] {
  const differences: JsonDifference[] = [];
  const visit = (left: JsonValue | undefined, right: JsonValue | undefined, path: string): void => {
    if (differences.length >= limit) return;
    if (typeof left === 'number' && typeof right === 'number') {
      if (!withinTolerance(left, right, tolerance)) differences.push({ path, expected: right, actual: left });
      return;
    }
    if (Array.isArray(left) && Array.isArray(right)) {
      const length = Math.max(left.length, right.length);
      for (let index = 0; index < length; index += 1) visit(left[index], right[index], `${path}[${index}]`);
      return;
    }
    if (isObject(left) && isObject(right)) {
      const keys = [...new Set([...Object.keys(right), ...Object.keys(left)])];
      for (const key of keys) visit(Object.hasOwn(left, key) ? left[key] : undefined, Object.hasOwn(right, key) ? right[key] : undefined, `${path}${propertyPath(key)}`);
      return;
    }
    if (left !== right) differences.push({ path, expected: right, actual: left });
  };
  visit(actual, expected, '$');
  return differences;
}

/** True when the two values are equal as JSON, numbers within `tolerance`. */
export function jsonEqual(actual: JsonValue | undefined, expected: JsonValue | undefined, tolerance: Tolerance = 0): boolean {
  return jsonDifferences(actual, expected, tolerance, 1).length === 0;
}

/**
 * A readable diff, one line per difference: `$.total: expected 3, got 4`. Values are shown
 * as JSON, shortened past `maxValueLength` characters.
 */
export function formatDifferences(differences: readonly JsonDifference[], labels = { expected: 'expected', actual: 'got' }, maxValueLength = 120): string {
  return differences
    .map((difference) => `${difference.path}: ${labels.expected} ${show(difference.expected, maxValueLength)}, ${labels.actual} ${show(difference.actual, maxValueLength)}`)
    .join('\n');
}

function show(value: JsonValue | undefined, maxLength: number): string {
  if (value === undefined) return '(nothing)';
  const text = JSON.stringify(value);
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
