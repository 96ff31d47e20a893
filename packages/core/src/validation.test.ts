import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ToolwrightError } from './errors.js';
import { invocationSchema } from './memory.js';
import { parseOrThrow } from './validation.js';

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
