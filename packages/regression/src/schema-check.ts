import { type JsonSchema, type JsonValue, ValidationError, canonicalJson } from '@toolwright/core';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

const DRAFT_07 = /json-schema\.org\/draft-0[4-7]\/schema/;

/**
 * Checks JSON values against JSON Schemas with ajv: draft 2020-12 (what `z.toJSONSchema`
 * writes) unless the schema's `$schema` names draft-07 or earlier. Compiled validators are
 * cached by the schema's canonical JSON.
 */
export class SchemaChecker {
  readonly #draft2020 = new Ajv2020({ strict: false, allErrors: true });
  readonly #draft07 = new Ajv({ strict: false, allErrors: true });
  readonly #cache = new Map<string, ValidateFunction>();

  /** Compiles `schema`, or throws `INVALID_ARGUMENT` naming what is wrong with it. */
  compile(schema: JsonSchema, what: string): ValidateFunction {
    const key = canonicalJson(schema);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const ajv = typeof schema['$schema'] === 'string' && DRAFT_07.test(schema['$schema']) ? this.#draft07 : this.#draft2020;
    let validate: ValidateFunction;
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw new ValidationError('INVALID_ARGUMENT', `The JSON Schema of ${what} is invalid: ${error instanceof Error ? error.message : String(error)}. Fix the schema.`, {
        cause: error,
      });
    }
    if (this.#cache.size > 500) this.#cache.clear();
    this.#cache.set(key, validate);
    return validate;
  }

  /** `undefined` when `value` matches, else the problems in one line. */
  check(value: JsonValue, schema: JsonSchema, what: string): string | undefined {
    const validate = this.compile(schema, what);
    if (validate(value)) return undefined;
    return (validate.errors ?? [])
      .slice(0, 5)
      .map((error) => `${error.instancePath === '' ? '$' : `$${error.instancePath.replaceAll('/', '.')}`} ${error.message ?? 'is invalid'}`)
      .join('; ');
  }
}
