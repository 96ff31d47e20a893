// Run: npx pnpm@9.15.9 --filter @toolwright/evaluator exec vitest bench --run
// Results are recorded in the package README.
import type { ToolSummary } from '@toolwright/core';
import { bench, describe } from 'vitest';
import { createEvaluator } from '../src/index.js';

function summary(count: number, successCount: number, meanMs: number, spreadMs: number): ToolSummary {
  return {
    tool: 'total_fares',
    version: 2,
    window: { lastN: count },
    count,
    successCount,
    successRate: successCount / count,
    latency: { mean: meanMs, p50: meanMs, p95: meanMs * 2, max: meanMs * 4, spread: spreadMs },
    errors: successCount === count ? [] : [{ code: 'TIMEOUT', count: count - successCount }],
    recentErrors: [],
    firstAt: 1_700_000_000_000,
    lastAt: 1_700_000_000_000 + count,
  };
}

const evaluator = createEvaluator();
const window100 = summary(100, 85, 400, 100);
const baseline100 = summary(100, 99, 200, 50);
const window1m = summary(1_000_000, 850_000, 400, 100);
const baseline1m = summary(1_000_000, 990_000, 200, 50);
const steady1m = summary(1_000_000, 989_900, 200, 50);
// With no minimum drop the exact test runs even on a tiny drop, whose tail it sums from near the mode.
const everyDrop = createEvaluator({ baseline: { minSuccessRateDrop: 0 } });

describe('evaluate', () => {
  bench('100 calls, no baseline', () => {
    evaluator.evaluate(window100);
  });
  bench('100 calls against a 100-call baseline', () => {
    evaluator.evaluate(window100, { baseline: baseline100 });
  });
  bench('1,000,000 calls against a 1,000,000-call baseline, 15 % against 1 % failures', () => {
    evaluator.evaluate(window1m, { baseline: baseline1m });
  });
  bench('1,000,000 calls against a 1,000,000-call baseline, no real drop, minSuccessRateDrop 0', () => {
    everyDrop.evaluate(steady1m, { baseline: baseline1m });
  });
});
