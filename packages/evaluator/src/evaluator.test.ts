import type { Diagnosis, Evaluator } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createEvaluator } from './evaluator.js';
import { buildSummary } from './summary-builder.js';

const evaluator = createEvaluator();

function component(diagnosis: Diagnosis, name: string): number {
  const found = diagnosis.components.find((entry) => entry.name === name);
  if (found === undefined) throw new Error(`no component ${name}`);
  return found.value;
}

describe('createEvaluator: the classic weighted score', () => {
  it('implements core\'s Evaluator interface', () => {
    expectTypeOf(evaluator).toMatchTypeOf<Evaluator>();
  });

  it('reports the three components with the default weights 0.5, 0.3, 0.2', () => {
    const diagnosis = evaluator.evaluate(buildSummary({ count: 10, successCount: 8, meanMs: 3_000, spreadMs: 900 }));
    expect(diagnosis.components).toEqual([
      { name: 'success-rate', value: 0.8, weight: 0.5 },
      { name: 'latency', value: 0.5, weight: 0.3 },
      { name: 'consistency', value: 0.9, weight: 0.2 },
    ]);
    expect(diagnosis.score).toBe(0.73);
    expect(diagnosis).toMatchObject({ tool: 'total_fares', version: 1, sampleSize: 10, status: 'healthy', needsRewrite: false });
  });

  it.each([
    [0, 1],
    [999, 1],
    [1_000, 1],
    [1_400, 0.9],
    [3_000, 0.5],
    [4_600, 0.1],
    [5_000, 0],
    [9_000, 0],
  ])('latency component at a mean of %d ms is %d', (meanMs, expected) => {
    const diagnosis = evaluator.evaluate(buildSummary({ count: 5, meanMs }));
    expect(component(diagnosis, 'latency')).toBeCloseTo(expected, 12);
  });

  it('scores latency by the mean by default, not by p50 or p95', () => {
    const diagnosis = evaluator.evaluate(buildSummary({ count: 5, meanMs: 3_000, p50Ms: 500, p95Ms: 4_800, maxMs: 6_000 }));
    expect(component(diagnosis, 'latency')).toBe(0.5);
  });

  it.each([
    [100, 0, 1],
    [100, 150, 0.5],
    [100, 300, 0],
    [100, 900, 0],
    [0, 0, 1],
  ])('consistency at mean %d ms and spread %d ms is %d', (meanMs, spreadMs, expected) => {
    const diagnosis = evaluator.evaluate(buildSummary({ count: 5, meanMs, spreadMs, p95Ms: Math.max(meanMs, 1) * 4 }));
    expect(component(diagnosis, 'consistency')).toBeCloseTo(expected, 12);
  });

  it('does not rewrite at a score of exactly 0.6, and rewrites just under it', () => {
    // 0.5 × 1 + 0.3 × 0 + 0.2 × 0.5
    const atThreshold = evaluator.evaluate(buildSummary({ count: 10, meanMs: 5_000, spreadMs: 7_500 }));
    expect(atThreshold).toMatchObject({ score: 0.6, needsRewrite: false, status: 'healthy' });
    // 0.5 × 0.6 + 0.3 × 0.5 + 0.2 × 0.75: three inexact products that sum to 0.6
    const mixed = evaluator.evaluate(buildSummary({ count: 10, successCount: 6, meanMs: 3_000, spreadMs: 2_250 }));
    expect(mixed).toMatchObject({ score: 0.6, needsRewrite: false, status: 'healthy' });
    // 0.5 × 0.6 + 0.3 × 0.75 + 0.2 × 0.375 is 0.5999999999999999 in floating point: still judged at 0.6
    const floatingPoint = evaluator.evaluate(buildSummary({ count: 10, successCount: 6, meanMs: 2_000, spreadMs: 3_750 }));
    expect(floatingPoint.components.map((entry) => entry.value)).toEqual([0.6, 0.75, 0.375]);
    expect(floatingPoint).toMatchObject({ score: 0.6, needsRewrite: false, status: 'healthy' });
    const justUnder = evaluator.evaluate(buildSummary({ count: 10, successCount: 6, meanMs: 3_000, spreadMs: 2_251 }));
    expect(justUnder.score).toBeLessThan(0.6);
    expect(justUnder).toMatchObject({ needsRewrite: true, status: 'degraded' });
  });

  it('gives no verdict with 2 invocations, however bad, and judges from 3', () => {
    const two = evaluator.evaluate(buildSummary({ count: 2, successCount: 0, meanMs: 9_000 }));
    expect(two).toMatchObject({ status: 'insufficient-data', needsRewrite: false, reasons: [], sampleSize: 2 });
    expect(two.score).toBe(0.2);
    const three = evaluator.evaluate(buildSummary({ count: 3, successCount: 0, meanMs: 9_000 }));
    expect(three).toMatchObject({ status: 'degraded', needsRewrite: true, sampleSize: 3 });
  });

  it('gives no verdict on an empty window', () => {
    const empty = evaluator.evaluate(buildSummary({ count: 0 }));
    expect(empty).toMatchObject({ status: 'insufficient-data', needsRewrite: false, reasons: [], sampleSize: 0 });
  });

  it('keeps the version undefined for a summary across all versions', () => {
    const summary = { ...buildSummary({ count: 5 }), version: undefined };
    expect(evaluator.evaluate(summary).version).toBeUndefined();
  });
});

describe('createEvaluator: configuration', () => {
  it('uses every configured number', () => {
    const custom = createEvaluator({
      weights: { successRate: 2, latency: 1, consistency: 1 },
      latency: { targetMs: 100, zeroAtMs: 300 },
      consistency: { spreadMultiple: 2 },
      rewriteBelow: 0.9,
      minInvocations: 10,
    });
    const summary = buildSummary({ count: 10, successCount: 9, meanMs: 200, spreadMs: 100 });
    const diagnosis = custom.evaluate(summary);
    expect(diagnosis.components).toEqual([
      { name: 'success-rate', value: 0.9, weight: 0.5 },
      { name: 'latency', value: 0.5, weight: 0.25 },
      { name: 'consistency', value: 0.75, weight: 0.25 },
    ]);
    expect(diagnosis.score).toBe(0.7625);
    expect(diagnosis.needsRewrite).toBe(true);
    expect(custom.evaluate(buildSummary({ count: 9, successCount: 0 })).status).toBe('insufficient-data');
  });

  it('can score latency by p50 or p95 instead of the mean', () => {
    const summary = buildSummary({ count: 5, meanMs: 1_000, p50Ms: 800, p95Ms: 3_000, maxMs: 4_000 });
    expect(component(createEvaluator({ latency: { statistic: 'p95' } }).evaluate(summary), 'latency')).toBe(0.5);
    expect(component(createEvaluator({ latency: { statistic: 'p50' } }).evaluate(summary), 'latency')).toBe(1);
    const p95Reason = createEvaluator({ latency: { statistic: 'p95' } }).evaluate(summary).reasons.find((r) => r.kind === 'latency');
    expect(p95Reason).toMatchObject({ metric: 'latency-p95', observed: 3_000, threshold: 1_000 });
  });
});

describe('createEvaluator: purity', () => {
  it('gives the same frozen diagnosis for the same summaries and leaves them untouched', () => {
    const summary = Object.freeze(buildSummary({ count: 100, successCount: 85, meanMs: 2_000, spreadMs: 3_500 }));
    const baseline = Object.freeze(buildSummary({ count: 100, successCount: 99, meanMs: 200, spreadMs: 20 }));
    const snapshot = structuredClone({ summary, baseline });
    const first = evaluator.evaluate(summary, { baseline });
    const second = createEvaluator().evaluate(summary, { baseline });
    expect(second).toEqual(first);
    expect({ summary, baseline }).toEqual(snapshot);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.reasons[0])).toBe(true);
    expect(Object.isFrozen(first.components)).toBe(true);
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
  });
});
