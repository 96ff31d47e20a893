import { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Validates `value` against `schema` at a public boundary and returns the parsed value.
 * Throws a {@link ValidationError} (`INVALID_ARGUMENT`) whose message names what was
 * being validated and lists every problem with its path.
 *
 * @example
 * ```ts
 * const spec = parseOrThrow(toolSpecSchema, input, 'create_tool spec');
 * ```
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError('INVALID_ARGUMENT', `Invalid ${what}:\n${z.prettifyError(result.error)}`, {
    details: {
      issues: result.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
    },
  });
}
