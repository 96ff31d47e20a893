import type { JsonObject, JsonValue } from '@toolwright/core';
import { isRecord } from './value-type.js';

/**
 * A tool takes one object argument. Task data that is not an object (a plain list of
 * numbers, say) is wrapped under one key, chosen from the data's shape alone — `items` for
 * lists of records, `values` for other lists, `value` for anything else — so the same data
 * always gets the same tool argument.
 */
export type InputShape = { readonly ok: true; readonly wrapKey: string | undefined } | { readonly ok: false; readonly reason: string };

/** The shape shared by every value (the example inputs and the task input). */
export function inputShape(values: readonly JsonValue[]): InputShape {
  if (values.every(isRecord)) return { ok: true, wrapKey: undefined };
  if (values.some(isRecord)) {
    return { ok: false, reason: 'some inputs are objects and others are not, so no one tool argument fits them all' };
  }
  if (values.every((value) => Array.isArray(value))) {
    const hasRecords = (values as JsonValue[][]).some((list) => list.some(isRecord));
    return { ok: true, wrapKey: hasRecords ? 'items' : 'values' };
  }
  if (values.some((value) => Array.isArray(value))) {
    return { ok: false, reason: 'some inputs are lists and others are not, so no one tool argument fits them all' };
  }
  return { ok: true, wrapKey: 'value' };
}

/** The tool argument for a value of that shape. */
export function wrapInput(value: JsonValue, wrapKey: string | undefined): JsonObject {
  return wrapKey === undefined ? (value as JsonObject) : { [wrapKey]: value };
}
