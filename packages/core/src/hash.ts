import { createHash } from 'node:crypto';
import { ValidationError } from './errors.js';

/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` properties dropped.
 * Two values that are equal as JSON have the same canonical text, whatever their key order.
 * Throws `INVALID_ARGUMENT` on values JSON cannot represent (cycles, functions, bigint,
 * non-finite numbers), rather than hashing something lossy.
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const write = (current: unknown, path: string): string => {
    if (current === null) return 'null';
    switch (typeof current) {
      case 'string':
      case 'boolean':
        return JSON.stringify(current);
      case 'number':
        if (!Number.isFinite(current)) {
          throw new ValidationError('INVALID_ARGUMENT', `Cannot hash ${path}: ${current} is not representable in JSON.`);
        }
        return JSON.stringify(current);
      case 'object': {
        if (seen.has(current)) {
          throw new ValidationError('INVALID_ARGUMENT', `Cannot hash ${path}: the value is cyclic.`);
        }
        seen.add(current);
        let text: string;
        if (Array.isArray(current)) {
          text = `[${current.map((item, index) => (item === undefined ? 'null' : write(item, `${path}[${index}]`))).join(',')}]`;
        } else {
          const entries = Object.keys(current)
            .filter((key) => (current as Record<string, unknown>)[key] !== undefined)
            .sort()
            .map((key) => `${JSON.stringify(key)}:${write((current as Record<string, unknown>)[key], `${path}.${key}`)}`);
          text = `{${entries.join(',')}}`;
        }
        seen.delete(current);
        return text;
      }
      default:
        throw new ValidationError('INVALID_ARGUMENT', `Cannot hash ${path}: a ${typeof current} is not representable in JSON.`);
    }
  };
  return write(value, 'value');
}

/** SHA-256 of a string, as 64 lowercase hex digits. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The content hash of a JSON value: SHA-256 of its canonical JSON.
 * Used for artifact versions, invocation input/output hashes and bundles.
 *
 * @example
 * ```ts
 * contentHash({ b: 1, a: 2 }) === contentHash({ a: 2, b: 1 }); // true
 * ```
 */
export function contentHash(value: unknown): string {
  return sha256(canonicalJson(value));
}
