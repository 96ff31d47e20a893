import { WRONG_OUTPUT_CODE } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { createEvaluator } from './evaluator.js';
import { buildSummary } from './summary-builder.js';

const evaluator = createEvaluator();

describe('reasons', () => {
  it('names a failure rate above 0.1 with its numbers and most frequent errors, even on a healthy score', () => {
    const summary = buildSummary({
      count: 100,
      successCount: 80,
      errors: [
        { code: 'HTTP_429', count: 12 },
        { code: 'TIMEOUT', count: 5 },
        { code: 'HTTP_503', count: 2 },
        { code: 'PARSE', count: 1 },
      ],
    });
    const diagnosis = evaluator.evaluate(summary);
    expect(diagnosis).toMatchObject({ status: 'healthy', needsRewrite: false });
    expect(diagnosis.reasons).toEqual([
      {
        kind: 'failure-rate',
        metric: 'failure-rate',
        message: 'failure rate 0.2 (20 of 100 calls) is above 0.1; most frequent errors: HTTP_429 ×12, TIMEOUT ×5, HTTP_503 ×2',
        observed: 0.2,
        threshold: 0.1,
        details: { count: 100, failures: 20 },
      },
    ]);
  });

  it('gives no failure-rate reason at exactly 0.1', () => {
    expect(evaluator.evaluate(buildSummary({ count: 100, successCount: 90 })).reasons).toEqual([]);
  });

  it('names a latency above the target, and none at exactly the target', () => {
    const slow = evaluator.evaluate(buildSummary({ count: 20, meanMs: 1_200, p95Ms: 3_000, maxMs: 4_000 }));
    expect(slow.needsRewrite).toBe(false);
    expect(slow.reasons).toEqual([
      {
        kind: 'latency',
        metric: 'latency-mean',
        message: 'mean latency 1200 ms is above the 1000 ms target (p95 3000 ms, max 4000 ms)',
        observed: 1_200,
        threshold: 1_000,
        details: { meanMs: 1_200, p50Ms: 1_200, p95Ms: 3_000, maxMs: 4_000, component: 0.95 },
      },
    ]);
    expect(evaluator.evaluate(buildSummary({ count: 20, meanMs: 1_000 })).reasons).toEqual([]);
  });

  it('names an inconsistent latency (spread above 1.5 × mean), and none at exactly 1.5 ×', () => {
    const erratic = evaluator.evaluate(buildSummary({ count: 20, meanMs: 100, spreadMs: 200, p95Ms: 900 }));
    expect(erratic.reasons).toEqual([
      expect.objectContaining({ kind: 'inconsistency', metric: 'spread-to-mean-ratio', observed: 2, threshold: 1.5 }),
    ]);
    expect(evaluator.evaluate(buildSummary({ count: 20, meanMs: 100, spreadMs: 150, p95Ms: 900 })).reasons).toEqual([]);
  });

  it('explains a low score by every weighted component under 1, even under their own thresholds', () => {
    const strict = createEvaluator({ rewriteBelow: 0.97 });
    // failure rate 0.08 (< 0.1) and spread ratio 0.6 (< 1.5): score 0.5 × 0.92 + 0.3 + 0.2 × 0.8 = 0.92
    const diagnosis = strict.evaluate(buildSummary({ count: 100, successCount: 92, meanMs: 100, spreadMs: 60 }));
    expect(diagnosis).toMatchObject({ score: 0.92, needsRewrite: true, status: 'degraded' });
    expect(diagnosis.reasons.map((reason) => [reason.kind, reason.threshold])).toEqual([
      ['failure-rate', undefined],
      ['inconsistency', undefined],
    ]);
    expect(diagnosis.reasons[0]?.message).toContain('it pulls the score 0.92 under 0.97');
  });

  it('ignores components of weight 0 when explaining a low score', () => {
    const successOnly = createEvaluator({ weights: { latency: 0, consistency: 0 }, rewriteBelow: 0.95 });
    const diagnosis = successOnly.evaluate(buildSummary({ count: 100, successCount: 92, meanMs: 100, spreadMs: 60 }));
    expect(diagnosis.score).toBe(0.92);
    expect(diagnosis.reasons.map((reason) => reason.kind)).toEqual(['failure-rate']);
  });

  it('always explains a rewrite on the score', () => {
    const diagnosis = evaluator.evaluate(buildSummary({ count: 10, successCount: 6, meanMs: 3_000, spreadMs: 2_251 }));
    expect(diagnosis.needsRewrite).toBe(true);
    expect(diagnosis.reasons.map((reason) => reason.kind)).toEqual(['failure-rate', 'latency', 'inconsistency']);
  });
});

describe('wrong outputs', () => {
  // Calls whose output was checked and found wrong end with the error code WRONG_OUTPUT.
  const oneWrong = buildSummary({ count: 100, successCount: 99, errors: [{ code: WRONG_OUTPUT_CODE, count: 1 }] });

  it('force a rewrite even when the score is high, first among the reasons', () => {
    const diagnosis = evaluator.evaluate(oneWrong);
    expect(diagnosis.score).toBeGreaterThan(0.99);
    expect(diagnosis).toMatchObject({ needsRewrite: true, status: 'degraded' });
    expect(diagnosis.reasons).toEqual([
      {
        kind: 'wrong-output',
        metric: 'wrong-output-rate',
        message: '1 of 100 calls returned a wrong output (rate 0.01, above 0)',
        observed: 0.01,
        threshold: 0,
        details: { wrongOutputs: 1, count: 100 },
      },
    ]);
  });

  it('are recognised by the configured codes only, and tolerated up to the configured rate', () => {
    const otherCode = buildSummary({ count: 100, successCount: 95, errors: [{ code: 'GOLDEN_MISMATCH', count: 5 }] });
    expect(evaluator.evaluate(otherCode).needsRewrite).toBe(false);
    const custom = createEvaluator({ wrongOutput: { codes: ['GOLDEN_MISMATCH'] } });
    expect(custom.evaluate(otherCode).reasons[0]).toMatchObject({ kind: 'wrong-output', observed: 0.05 });
    const tolerant = createEvaluator({ wrongOutput: { rewriteAboveRate: 0.05 } });
    expect(tolerant.evaluate(oneWrong)).toMatchObject({ needsRewrite: false, reasons: [] });
  });

  it('give no verdict below the minimum number of calls', () => {
    const two = buildSummary({ count: 2, successCount: 1, errors: [{ code: WRONG_OUTPUT_CODE, count: 1 }] });
    expect(evaluator.evaluate(two)).toMatchObject({ status: 'insufficient-data', needsRewrite: false, reasons: [] });
  });
});
