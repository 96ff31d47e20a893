import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ToolwrightError } from './errors.js';
import { invocationSchema } from './memory.js';
import { explainIssues, parseOrThrow } from './validation.js';

describe('parseOrThrow', () => {
  it('returns the parsed value', () => {
    expect(parseOrThrow(z.object({ n: z.number().default(1) }), {}, 'options')).toEqual({ n: 1 });
  });

  it('throws INVALID_ARGUMENT naming what was validated and every problem with its path', () => {
    const invocation = { tool: 'Bad Name', version: 0, startedAt: 1, durationMs: -1, outcome: { ok: true }, inputHash: 'x' };
    let caught: unknown;
    try {
      parseOrThrow(invocationSchema, invocation, 'invocation');
    } catch (error) {
      caught = error;
    }
    expect(ToolwrightError.isInstance(caught)).toBe(true);
    const error = caught as ToolwrightError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^Invalid invocation:/);
    const paths = (error.details?.['issues'] as { path: string[] }[]).map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['tool', 'version', 'durationMs', 'inputHash']));
  });
});

describe('explainIssues', () => {
  const answer = z.union([
    z.object({ name: z.string(), source: z.string(), reason: z.string() }).strict(),
    z.object({ transforms: z.array(z.enum(['retry', 'timeout'])).min(1), reason: z.string() }).strict(),
  ]);
  const explain = (value: unknown): string => {
    const result = answer.safeParse(value);
    if (result.success) throw new Error('expected a failure');
    return explainIssues(result.error);
  };

  it('explains a union by the option the value came closest to, with its paths', () => {
    const text = explain({ name: 'total_fares', reason: 'fixed' });
    expect(text).toContain('source');
    expect(text).toContain('expected string, received undefined');
    expect(text).toContain('matches none of the 2 accepted shapes; closest: shape 1');
    expect(text).not.toContain('transforms');

    const other = explain({ transforms: ['jitter'], reason: 'flaky' });
    expect(other).toContain('→ at transforms[0]');
    expect(other).toContain('closest: shape 2');
  });

  it('keeps the path to a union nested in an object', () => {
    const nested = z.object({ choice: z.union([z.object({ a: z.number() }), z.object({ b: z.string() })]) });
    const result = nested.safeParse({ choice: { a: 'one' } });
    expect(result.success).toBe(false);
    expect(explainIssues(result.error as z.ZodError)).toContain('→ at choice.a');
  });

  it('on a tie, prefers the option of the right kind with a bad field, and notes nested unions once', () => {
    const options = z.union([z.literal(false), z.object({ retry: z.object({ attempts: z.number().min(2) }) })]);
    const result = options.safeParse({ retry: { attempts: 1 } });
    const text = explainIssues(result.error as z.ZodError);
    expect(text).toContain('→ at retry.attempts');
    expect(text).not.toContain('expected false');

    const nested = z.union([z.object({ inner: z.union([z.object({ a: z.number() }), z.object({ b: z.number() })]) }), z.literal('none')]);
    const deep = explainIssues(nested.safeParse({ inner: { a: 'x' } }).error as z.ZodError);
    expect(deep.match(/accepted shapes/g)).toHaveLength(1);
  });

  it('lists the explained issues in parseOrThrow details too', () => {
    let caught: unknown;
    try {
      parseOrThrow(z.union([z.literal(false), z.object({ n: z.number() })]), { n: 'x' }, 'options');
    } catch (error) {
      caught = error;
    }
    const issues = (caught as ToolwrightError).details?.['issues'] as { path: string[]; message: string }[];
    expect(issues).toEqual([{ path: ['n'], message: expect.stringContaining('expected number') }]);
  });

  it('is prettifyError for anything else', () => {
    const result = z.object({ n: z.number() }).safeParse({ n: 'x' });
    expect(explainIssues(result.error as z.ZodError)).toBe(z.prettifyError(result.error as z.ZodError));
  });
});
