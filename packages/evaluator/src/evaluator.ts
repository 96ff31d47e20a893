import { type Diagnosis, type DiagnosisReason, EvaluatorError, type Evaluator, parseOrThrow, type ToolSummary } from '@toolwright/core';
import { z } from 'zod';
import { compareWithBaseline } from './baseline-comparison.js';
import { type EvaluatorConfig, type ResolvedEvaluatorConfig, evaluatorConfigSchema } from './config.js';
import { deepFreeze } from './deep-freeze.js';
import { componentReasons, wrongOutputReason } from './reasons.js';
import { computeScore } from './score.js';
import { validateSummary } from './summary-validation.js';

/** An {@link Evaluator} that also shows the configuration it judges by. */
export interface ConfiguredEvaluator extends Evaluator {
  /** The configuration with every default filled in. Frozen. */
  readonly config: ResolvedEvaluatorConfig;
}

const evaluateOptionsSchema = z
  .object({
    /** Validated as a summary, with its own error code. */
    baseline: z.unknown().optional(),
  })
  .strict()
  .optional();

/**
 * Creates the weighted, baseline-aware {@link Evaluator}. Pure and deterministic: the same
 * summaries always give the same (frozen) diagnosis; nothing is read from the clock, the
 * network or a random source.
 *
 * - **Score**: success rate × 0.5 + latency × 0.3 + consistency × 0.2 by default, where
 *   latency is 1 at or under 1,000 ms (mean) and falls linearly to 0 at 5,000 ms, and
 *   consistency is 1 − spread ÷ (3 × mean), floored at 0. A score below 0.6 needs a rewrite.
 * - **No verdict** under 3 calls: status `insufficient-data`, no reasons, no rewrite (the
 *   score and components are still computed from what there is).
 * - **Wrong outputs** (calls that ended with `WRONG_OUTPUT`) need a rewrite.
 * - **Baseline**: with `{ baseline }`, a significant fall in success rate or rise in mean
 *   latency against the baseline window needs a rewrite even when the score is fine.
 *
 * Throws `INVALID_ARGUMENT` for an invalid configuration, and `EVALUATOR_INVALID_SUMMARY`
 * from `evaluate` for a summary that contradicts itself.
 *
 * @example
 * ```ts
 * const evaluator = createEvaluator({ latency: { targetMs: 200, zeroAtMs: 2_000 } });
 * const diagnosis = evaluator.evaluate(await memory.summary('total_fares', { lastN: 100 }), {
 *   baseline: await memory.summary('total_fares', { since: promotedAt - 86_400_000, until: promotedAt }),
 * });
 * if (diagnosis.needsRewrite) console.log(diagnosis.reasons.map((reason) => reason.message));
 * ```
 */
export function createEvaluator(config?: EvaluatorConfig): ConfiguredEvaluator {
  const resolved = deepFreeze(parseOrThrow(evaluatorConfigSchema, config ?? {}, 'evaluator configuration'));

  function evaluate(summaryInput: ToolSummary, optionsInput?: { readonly baseline?: ToolSummary }): Diagnosis {
    const summary = validateSummary(summaryInput, 'summary');
    const options = parseOrThrow(evaluateOptionsSchema, optionsInput, 'evaluate options');
    const baseline = options?.baseline === undefined ? undefined : validateSummary(options.baseline, 'baseline summary');
    if (baseline !== undefined && baseline.tool !== summary.tool) {
      throw new EvaluatorError(
        'EVALUATOR_INVALID_SUMMARY',
        `The baseline summary is of tool "${baseline.tool}", but the summary is of "${summary.tool}"; ` +
          `pass a baseline window of the same tool.`,
        { details: { role: 'baseline summary', tool: summary.tool, baselineTool: baseline.tool } },
      );
    }

    const score = computeScore(summary, resolved);
    const base = { tool: summary.tool, version: summary.version, score: score.score, components: score.components, sampleSize: summary.count };
    if (summary.count < resolved.minInvocations) {
      return deepFreeze({ ...base, status: 'insufficient-data', needsRewrite: false, reasons: [] });
    }

    // Reasons that force a rewrite come first.
    const forcing: DiagnosisReason[] = [];
    const wrongOutput = wrongOutputReason(summary, resolved);
    if (wrongOutput !== undefined) forcing.push(wrongOutput);
    if (baseline !== undefined) forcing.push(...compareWithBaseline(summary, baseline, resolved.baseline));
    const needsRewrite = score.score < resolved.rewriteBelow || forcing.length > 0;
    return deepFreeze({
      ...base,
      status: needsRewrite ? 'degraded' : 'healthy',
      needsRewrite,
      reasons: [...forcing, ...componentReasons(summary, score, resolved)],
    });
  }

  return Object.freeze({ config: resolved, evaluate });
}
