import { EvaluatorError, type ToolSummary } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { createEvaluator } from './evaluator.js';
import { buildSummary } from './summary-builder.js';

const evaluator = createEvaluator();
const good = buildSummary({ count: 10, successCount: 9, meanMs: 100, spreadMs: 10 });

function evaluationError(run: () => unknown): EvaluatorError {
  try {
    run();
  } catch (error) {
    if (EvaluatorError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an EvaluatorError');
}

// Casts let the tests hand the evaluator what a buggy caller (or plain JavaScript) might.
function broken(change: Record<string, unknown>): ToolSummary {
  return { ...good, ...change } as unknown as ToolSummary;
}

describe('summary validation', () => {
  it.each<[string, ToolSummary]>([
    ['successCount above count', broken({ successCount: 11, successRate: 1.1 })],
    ['successCount above count with a plausible rate', broken({ successCount: 11, successRate: 1 })],
    ['a success rate that does not match the counts', broken({ successRate: 0.5 })],
    ['a negative latency', broken({ latency: { ...good.latency, mean: -1 } })],
    ['a NaN latency', broken({ latency: { ...good.latency, p95: Number.NaN } })],
    ['an infinite latency', broken({ latency: { ...good.latency, max: Number.POSITIVE_INFINITY } })],
    ['a NaN success rate', broken({ successRate: Number.NaN })],
    ['a fractional count', broken({ count: 10.5 })],
    ['a negative count', broken({ count: -1, successCount: 0, successRate: 0 })],
    ['p50 above p95', broken({ latency: { ...good.latency, p50: 500, p95: 200, max: 600 } })],
    ['p95 above max', broken({ latency: { ...good.latency, p95: 900, max: 800 } })],
    ['a mean above max', broken({ latency: { ...good.latency, mean: 1_000 } })],
    ['more coded errors than failures', broken({ errors: [{ code: 'TIMEOUT', count: 2 }] })],
    ['an error count of 0', broken({ errors: [{ code: 'TIMEOUT', count: 0 }] })],
    ['a repeated error code', broken({ successCount: 8, successRate: 0.8, errors: [{ code: 'A', count: 1 }, { code: 'A', count: 1 }] })],
    ['latencies on an empty window', broken({ count: 0, successCount: 0, successRate: 0, errors: [], firstAt: undefined, lastAt: undefined })],
    ['times on an empty window', { ...buildSummary({ count: 0 }), firstAt: 1 }],
    ['no times on a window with calls', broken({ firstAt: undefined })],
    ['firstAt after lastAt', broken({ firstAt: 10, lastAt: 5 })],
    ['an empty tool name', broken({ tool: '' })],
    ['a version 0', broken({ version: 0 })],
    ['no window', broken({ window: undefined })],
    ['no latency', broken({ latency: undefined })],
    ['null', null as unknown as ToolSummary],
    ['a string', 'summary' as unknown as ToolSummary],
  ])('refuses %s with EVALUATOR_INVALID_SUMMARY', (_what, summary) => {
    const error = evaluationError(() => evaluator.evaluate(summary));
    expect(error).toBeInstanceOf(EvaluatorError);
    expect(error.code).toBe('EVALUATOR_INVALID_SUMMARY');
    expect(error.details).toMatchObject({ role: 'summary' });
  });

  it('says what is wrong with which summary and what to do', () => {
    const error = evaluationError(() => evaluator.evaluate(broken({ successCount: 11, successRate: 1.1 })));
    expect(error.message).toContain('The summary of "total_fares" v1 given to the evaluator');
    expect(error.message).toContain('fix whatever computed it');
    const inconsistent = evaluationError(() => evaluator.evaluate(broken({ successCount: 11, successRate: 1 })));
    expect(inconsistent.message).toContain('successCount (11) is greater than count (10)');
    expect(inconsistent.details?.['problems']).toEqual(expect.arrayContaining(['successCount (11) is greater than count (10)']));
  });

  it('refuses an invalid baseline, naming it as the baseline', () => {
    const error = evaluationError(() => evaluator.evaluate(good, { baseline: broken({ latency: { ...good.latency, mean: -5 } }) }));
    expect(error.code).toBe('EVALUATOR_INVALID_SUMMARY');
    expect(error.details).toMatchObject({ role: 'baseline summary' });
    expect(error.message).toContain('The baseline summary');
  });

  it('refuses a baseline of another tool', () => {
    const other = buildSummary({ count: 10, tool: 'convert_currency' });
    const error = evaluationError(() => evaluator.evaluate(good, { baseline: other }));
    expect(error.code).toBe('EVALUATOR_INVALID_SUMMARY');
    expect(error.message).toContain('"convert_currency"');
  });

  it('accepts what a memory may add: a summary across all versions, extra fields, rounding in the rate', () => {
    const oneThird = buildSummary({ count: 3, successCount: 1 });
    const rounded = { ...oneThird, successRate: 0.3333333333333, version: undefined, extra: 'ignored' } as ToolSummary;
    expect(evaluator.evaluate(rounded).sampleSize).toBe(3);
    expect(evaluator.evaluate(buildSummary({ count: 0 })).status).toBe('insufficient-data');
    const truncatedErrors = buildSummary({ count: 10, successCount: 5, errors: [{ code: 'TIMEOUT', count: 3 }] });
    expect(evaluator.evaluate(truncatedErrors).sampleSize).toBe(10);
  });

  it('refuses unknown evaluate options with INVALID_ARGUMENT', () => {
    expect(() => evaluator.evaluate(good, { baseline: good, window: 5 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
