import type { JsonObject } from '../json.js';

/**
 * A plain JSON copy of a record for audit evidence and approval requests: `undefined`
 * properties dropped, no prototypes, nothing shared with the original.
 */
export function asJson(value: object): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}
