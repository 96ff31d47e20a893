import { ValidationError } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVALUATOR_CONFIG, type EvaluatorConfig } from './config.js';
import { createEvaluator } from './evaluator.js';

describe('evaluator configuration', () => {
  it('defaults to the numbers of the classic score and a guarded baseline comparison', () => {
    expect(DEFAULT_EVALUATOR_CONFIG).toEqual({
      weights: { successRate: 0.5, latency: 0.3, consistency: 0.2 },
      latency: { statistic: 'mean', targetMs: 1_000, zeroAtMs: 5_000 },
      consistency: { spreadMultiple: 3 },
      rewriteBelow: 0.6,
      minInvocations: 3,
      reasons: { failureRateAbove: 0.1, spreadRatioAbove: 1.5 },
      wrongOutput: { codes: ['WRONG_OUTPUT'], rewriteAboveRate: 0 },
      baseline: { significance: 0.01, minInvocations: 30, minSuccessRateDrop: 0.05, minLatencyIncreaseRatio: 1.5, minLatencyIncreaseMs: 100, relativeLatency: { minRatio: 2.5, minIncreaseMs: 10 } },
    });
    expect(createEvaluator().config).toEqual(DEFAULT_EVALUATOR_CONFIG);
    expect(Object.isFrozen(DEFAULT_EVALUATOR_CONFIG.baseline)).toBe(true);
  });

  it('fills in every default around a partial configuration and leaves the caller\'s object alone', () => {
    const input = { latency: { targetMs: 200 }, wrongOutput: { codes: ['MISMATCH'] } };
    const evaluator = createEvaluator(input);
    expect(evaluator.config.latency).toEqual({ statistic: 'mean', targetMs: 200, zeroAtMs: 5_000 });
    expect(evaluator.config.weights).toEqual(DEFAULT_EVALUATOR_CONFIG.weights);
    expect(Object.isFrozen(evaluator.config.wrongOutput.codes)).toBe(true);
    expect(Object.isFrozen(input.wrongOutput.codes)).toBe(false);
  });

  it.each<[string, unknown]>([
    ['a negative weight', { weights: { latency: -0.1 } }],
    ['all weights 0', { weights: { successRate: 0, latency: 0, consistency: 0 } }],
    ['a NaN weight', { weights: { successRate: Number.NaN } }],
    ['zeroAtMs not above targetMs', { latency: { targetMs: 5_000, zeroAtMs: 5_000 } }],
    ['a negative target', { latency: { targetMs: -1 } }],
    ['an unknown latency statistic', { latency: { statistic: 'p99' } }],
    ['spreadMultiple 0', { consistency: { spreadMultiple: 0 } }],
    ['rewriteBelow above 1', { rewriteBelow: 1.5 }],
    ['minInvocations 0', { minInvocations: 0 }],
    ['a fractional minInvocations', { minInvocations: 2.5 }],
    ['a failure-rate reason threshold above 1', { reasons: { failureRateAbove: 2 } }],
    ['an empty wrong-output code', { wrongOutput: { codes: [''] } }],
    ['significance 0', { baseline: { significance: 0 } }],
    ['significance 1', { baseline: { significance: 1 } }],
    ['a baseline minimum of 1 call', { baseline: { minInvocations: 1 } }],
    ['a latency ratio under 1', { baseline: { minLatencyIncreaseRatio: 0.9 } }],
    ['an unknown key', { rewriteBellow: 0.5 }],
    ['an unknown nested key', { baseline: { alpha: 0.05 } }],
    ['a string', 'strict'],
  ])('refuses %s with INVALID_ARGUMENT', (_what, config) => {
    let caught: unknown;
    try {
      createEvaluator(config as EvaluatorConfig);
    } catch (error) {
      caught = error;
    }
    expect(ValidationError.isInstance(caught)).toBe(true);
    expect((caught as ValidationError).code).toBe('INVALID_ARGUMENT');
    expect((caught as ValidationError).message).toMatch(/^Invalid evaluator configuration:/);
  });
});
