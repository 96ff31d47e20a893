import type { DiagnosisReason, ToolSummary } from '@toolwright/core';
import type { ResolvedEvaluatorConfig } from './config.js';
import { formatMs, formatRatio } from './format.js';
import type { Score } from './score.js';

const MOST_FREQUENT_ERRORS_SHOWN = 3;

function errorList(summary: ToolSummary): string {
  const shown = summary.errors.slice(0, MOST_FREQUENT_ERRORS_SHOWN).map((error) => `${error.code} ×${error.count}`);
  return shown.length === 0 ? '' : `; most frequent errors: ${shown.join(', ')}`;
}

/**
 * A `wrong-output` reason when the share of calls that ended with one of the configured
 * wrong-output codes (see `WRONG_OUTPUT_CODE` in core) is above `rewriteAboveRate`.
 */
export function wrongOutputReason(summary: ToolSummary, config: ResolvedEvaluatorConfig): DiagnosisReason | undefined {
  const codes = new Set(config.wrongOutput.codes);
  const wrongOutputs = summary.errors.filter((error) => codes.has(error.code)).reduce((sum, error) => sum + error.count, 0);
  const rate = summary.count === 0 ? 0 : wrongOutputs / summary.count;
  if (!(rate > config.wrongOutput.rewriteAboveRate)) return undefined;
  return {
    kind: 'wrong-output',
    metric: 'wrong-output-rate',
    message: `${wrongOutputs} of ${summary.count} calls returned a wrong output (rate ${formatRatio(rate)}, above ${formatRatio(config.wrongOutput.rewriteAboveRate)})`,
    observed: rate,
    threshold: config.wrongOutput.rewriteAboveRate,
    details: { wrongOutputs, count: summary.count },
  };
}

/**
 * The reasons behind the score's components. A component gets a reason when its raw number
 * crosses its own threshold (failure rate above `reasons.failureRateAbove`, latency above
 * `latency.targetMs`, spread ÷ mean above `reasons.spreadRatioAbove`); and, when the score is
 * below `rewriteBelow`, every weighted component under 1 gets one too (without a
 * `threshold`), so a rewrite on the score is always explained.
 */
export function componentReasons(summary: ToolSummary, score: Score, config: ResolvedEvaluatorConfig): DiagnosisReason[] {
  const reasons: DiagnosisReason[] = [];
  const scoreIsLow = score.score < config.rewriteBelow;
  const pullsScoreDown = (part: { value: number; weight: number }): boolean => scoreIsLow && part.weight > 0 && part.value < 1;
  const lowScore = `it pulls the score ${formatRatio(score.score)} under ${formatRatio(config.rewriteBelow)}`;

  const failures = summary.count - summary.successCount;
  const failureRate = summary.count === 0 ? 0 : failures / summary.count;
  const failureRateAbove = config.reasons.failureRateAbove;
  const failureRateCrossed = failureRate > failureRateAbove;
  if (failureRateCrossed || pullsScoreDown(score.successRate)) {
    reasons.push({
      kind: 'failure-rate',
      metric: 'failure-rate',
      message:
        `failure rate ${formatRatio(failureRate)} (${failures} of ${summary.count} calls)` +
        (failureRateCrossed ? ` is above ${formatRatio(failureRateAbove)}` : `: ${lowScore}`) +
        errorList(summary),
      observed: failureRate,
      ...(failureRateCrossed ? { threshold: failureRateAbove } : {}),
      details: { count: summary.count, failures },
    });
  }

  const { statistic, targetMs } = config.latency;
  // Above the target is exactly where the latency component drops under 1.
  if (score.latency.observedMs > targetMs) {
    reasons.push({
      kind: 'latency',
      metric: `latency-${statistic}`,
      message: `${statistic} latency ${formatMs(score.latency.observedMs)} is above the ${formatMs(targetMs)} target (p95 ${formatMs(summary.latency.p95)}, max ${formatMs(summary.latency.max)})`,
      observed: score.latency.observedMs,
      threshold: targetMs,
      details: {
        meanMs: summary.latency.mean,
        p50Ms: summary.latency.p50,
        p95Ms: summary.latency.p95,
        maxMs: summary.latency.max,
        component: score.latency.value,
      },
    });
  }

  const { spreadRatio } = score.consistency;
  const spreadRatioAbove = config.reasons.spreadRatioAbove;
  const spreadCrossed = spreadRatio > spreadRatioAbove;
  if (spreadCrossed || pullsScoreDown(score.consistency)) {
    reasons.push({
      kind: 'inconsistency',
      metric: 'spread-to-mean-ratio',
      message:
        `latency spread ${formatMs(summary.latency.spread)} is ${formatRatio(spreadRatio)} × the mean ${formatMs(summary.latency.mean)}` +
        (spreadCrossed ? `, above ${formatRatio(spreadRatioAbove)} ×` : `: ${lowScore}`),
      observed: spreadRatio,
      ...(spreadCrossed ? { threshold: spreadRatioAbove } : {}),
      details: { spreadMs: summary.latency.spread, meanMs: summary.latency.mean, component: score.consistency.value },
    });
  }
  return reasons;
}
