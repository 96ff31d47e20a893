import { z } from 'zod';

/** A JSON primitive. */
export type JsonPrimitive = string | number | boolean | null;
/** Any value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * A JSON Schema document (draft 2020-12 or draft-07), as plain JSON.
 * Author schemas with zod and convert them with `z.toJSONSchema(schema)`.
 */
export type JsonSchema = JsonObject;

/** zod schema for any JSON value. */
export const jsonValueSchema: z.ZodType<JsonValue> = z.json();

/** zod schema for a JSON object (e.g. a JSON Schema document). */
export const jsonObjectSchema: z.ZodType<JsonObject> = z.record(z.string(), z.json());
