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
  throw new ValidationError('INVALID_ARGUMENT', `Invalid ${what}:\n${explainIssues(result.error)}`, {
    details: {
      issues: result.error.issues.flatMap((issue) => closestIssues(issue, [])).map((issue) => ({ path: issue.path.map(String), message: issue.message })),
    },
  });
}

/**
 * `z.prettifyError`, except that a value matching none of a union's options is explained by
 * the option it came closest to (fewest problems), with that option's problems and paths —
 * not the bare "Invalid input" zod reports for a union.
 *
 * @example
 * ```ts
 * const result = schema.safeParse(value);
 * if (!result.success) console.error(explainIssues(result.error));
 * ```
 */
export function explainIssues(error: z.ZodError): string {
  return z.prettifyError(new z.ZodError(error.issues.flatMap((issue) => closestIssues(issue, []))));
}

function closestIssues(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): z.core.$ZodIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ ...issue, path }];
  const options: readonly (readonly z.core.$ZodIssue[])[] = issue.errors;
  // Closest: the fewest problems; on a tie, the option whose problems lie deepest (a value of
  // the right kind with one bad field is closer than a value of another kind altogether).
  const depth = (option: readonly z.core.$ZodIssue[]): number => Math.max(0, ...option.map((inner) => inner.path.length));
  let index = 0;
  options.forEach((option, candidate) => {
    const best = options[index] ?? [];
    if (option.length < best.length || (option.length === best.length && depth(option) > depth(best))) index = candidate;
  });
  const note = ` (matches none of the ${options.length} accepted shapes; closest: shape ${index + 1})`;
  // A nested union is explained once, by the innermost one that chose among its shapes.
  return (options[index] ?? []).flatMap((inner) =>
    inner.code === 'invalid_union' && inner.errors.length > 0
      ? closestIssues(inner, path)
      : closestIssues(inner, path).map((explained) => ({ ...explained, message: `${explained.message}${note}` })),
  );
}
