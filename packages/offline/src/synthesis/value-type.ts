import type { JsonValue } from '@toolwright/core';

/**
 * The static type of a value in a synthesised program. Types are inferred from the example
 * data: a record type keeps only the fields every record has, with one type.
 */
export type ValueType =
  | { readonly kind: 'num' }
  | { readonly kind: 'str' }
  | { readonly kind: 'bool' }
  /** The element type of lists that are empty (or mixed) in every example. */
  | { readonly kind: 'unknown' }
  | { readonly kind: 'list'; readonly of: ValueType }
  | { readonly kind: 'rec'; readonly fields: ReadonlyMap<string, ValueType> }
  /** What `group_by` returns: an object from group names to numbers. */
  | { readonly kind: 'map'; readonly of: ValueType };

export const NUM: ValueType = { kind: 'num' };
export const STR: ValueType = { kind: 'str' };
export const BOOL: ValueType = { kind: 'bool' };
export const UNKNOWN: ValueType = { kind: 'unknown' };

/** True for a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, unique text for a type, e.g. `[{carrier:str,price:num}]`. */
export function typeKey(type: ValueType): string {
  switch (type.kind) {
    case 'num':
    case 'str':
    case 'bool':
      return type.kind;
    case 'unknown':
      return '?';
    case 'list':
      return `[${typeKey(type.of)}]`;
    case 'map':
      return `map<${typeKey(type.of)}>`;
    case 'rec':
      return `{${[...type.fields].map(([name, field]) => `${JSON.stringify(name)}:${typeKey(field)}`).join(',')}}`;
  }
}

/**
 * The common type of some values, or `undefined` when they have none (mixed kinds, `null`).
 * Lists whose elements have no common type get the element type `unknown`; a record keeps
 * the fields present in every record with a common type, in first-seen order.
 */
export function inferType(values: readonly JsonValue[]): ValueType | undefined {
  if (values.length === 0) return undefined;
  if (values.every((value) => typeof value === 'number' && Number.isFinite(value))) return NUM;
  if (values.every((value) => typeof value === 'string')) return STR;
  if (values.every((value) => typeof value === 'boolean')) return BOOL;
  if (values.every((value) => Array.isArray(value))) {
    const elements = (values as JsonValue[][]).flat();
    return { kind: 'list', of: (elements.length === 0 ? undefined : inferType(elements)) ?? UNKNOWN };
  }
  if (values.every(isRecord)) {
    const records = values as { [key: string]: JsonValue }[];
    const fields = new Map<string, ValueType>();
    const first = records[0] ?? {};
    for (const name of Object.keys(first)) {
      if (!records.every((record) => Object.hasOwn(record, name))) continue;
      const fieldType = inferType(records.map((record) => record[name] as JsonValue));
      if (fieldType !== undefined) fields.set(name, fieldType);
    }
    return { kind: 'rec', fields };
  }
  return undefined;
}

/** True when the type is a list of `element` kind (`num`, `str`, ...). */
export function isListOf(type: ValueType, element: ValueType['kind']): boolean {
  return type.kind === 'list' && type.of.kind === element;
}
