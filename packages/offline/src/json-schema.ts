import type { JsonSchema, JsonValue } from '@toolwright/core';
import { isRecord } from './synthesis/value-type.js';

function primitiveType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

/**
 * A JSON Schema that every one of `values` satisfies, as specific as they allow: object
 * properties with their schemas (`required` lists those every object has), array items,
 * and primitive types (several when the values mix them).
 */
export function inferJsonSchema(values: readonly JsonValue[]): JsonSchema {
  if (values.length === 0) return {};
  const kinds = [...new Set(values.map(primitiveType))];
  if (kinds.length === 1 && kinds[0] === 'object') {
    const records = values.filter(isRecord);
    const names: string[] = [];
    for (const record of records) for (const name of Object.keys(record)) if (!names.includes(name)) names.push(name);
    const properties: { [name: string]: JsonValue } = {};
    for (const name of names) properties[name] = inferJsonSchema(records.filter((record) => Object.hasOwn(record, name)).map((record) => record[name] as JsonValue));
    const required = names.filter((name) => records.every((record) => Object.hasOwn(record, name)));
    return required.length > 0 ? { type: 'object', properties, required } : { type: 'object', properties };
  }
  if (kinds.length === 1 && kinds[0] === 'array') {
    const items = (values as JsonValue[][]).flat();
    return items.length > 0 ? { type: 'array', items: inferJsonSchema(items) } : { type: 'array' };
  }
  if (kinds.includes('object') || kinds.includes('array')) return {};
  return kinds.length === 1 ? { type: kinds[0] as string } : { type: kinds };
}

/**
 * Whether `value` roughly satisfies `schema`: `type`, `properties`, `required`, `items`,
 * `enum`, `const`, `anyOf` and `oneOf` are checked; other keywords are ignored. Used to decide
 * which existing tools are worth trying on the examples, never to validate anything for good.
 */
export function roughlyMatches(schema: JsonValue | undefined, value: JsonValue, depth = 0): boolean {
  if (!isRecord(schema) || depth > 32) return true;
  const type = schema['type'];
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    const actual = primitiveType(value);
    const fits = types.some((name) => name === actual || (name === 'integer' && typeof value === 'number' && Number.isInteger(value)));
    if (!fits) return false;
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].some((option) => JSON.stringify(option) === JSON.stringify(value))) return false;
  if (schema['const'] !== undefined && JSON.stringify(schema['const']) !== JSON.stringify(value)) return false;
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const options = schema[keyword];
    if (Array.isArray(options) && options.length > 0 && !options.some((option) => roughlyMatches(option, value, depth + 1))) return false;
  }
  if (isRecord(value)) {
    const required = schema['required'];
    if (Array.isArray(required) && !required.every((name) => typeof name !== 'string' || Object.hasOwn(value, name))) return false;
    const properties = schema['properties'];
    if (isRecord(properties)) {
      for (const [name, propertySchema] of Object.entries(properties)) {
        if (Object.hasOwn(value, name) && !roughlyMatches(propertySchema, value[name] as JsonValue, depth + 1)) return false;
      }
    }
  }
  if (Array.isArray(value) && isRecord(schema['items'])) {
    return value.every((item) => roughlyMatches(schema['items'], item, depth + 1));
  }
  return true;
}
