import { WRONG_OUTPUT_CODE } from '@toolwright/core';
import { z } from 'zod';
import { deepFreeze } from './deep-freeze.js';

const weight = z.number().min(0).max(1_000_000);
const rate = z.number().min(0).max(1);
const milliseconds = z.number().min(0).max(86_400_000);

/**
 * The evaluator's configuration. Every field is optional; the defaults reproduce the classic
 * weighted score (success rate 0.5, latency 0.3, consistency 0.2, rewrite below 0.6, no
 * verdict under 3 calls) and add a guarded comparison against a baseline window.
 *
 * @example
 * ```ts
 * const config = evaluatorConfigSchema.parse({ latency: { targetMs: 200, zeroAtMs: 2_000 } });
 * ```
 */
export const evaluatorConfigSchema = z
  .object({
    /** Weights of the score's components. They are normalised to sum to 1; at least one must be above 0. */
    weights: z
      .object({
        successRate: weight.default(0.5),
        latency: weight.default(0.3),
        consistency: weight.default(0.2),
      })
      .strict()
      .refine((weights) => weights.successRate + weights.latency + weights.consistency > 0, {
        message: 'at least one weight must be above 0',
      })
      .prefault({}),
    latency: z
      .object({
        /**
         * Which latency the latency component scores. `mean`, as the classic score does, so
         * that the latency and consistency components describe the same distribution.
         */
        statistic: z.enum(['mean', 'p50', 'p95']).default('mean'),
        /** At or under this, the latency component is 1. */
        targetMs: milliseconds.default(1_000),
        /** At or over this, the latency component is 0; linear in between. */
        zeroAtMs: milliseconds.default(5_000),
      })
      .strict()
      .refine((latency) => latency.zeroAtMs > latency.targetMs, {
        message: 'zeroAtMs must be greater than targetMs',
        path: ['zeroAtMs'],
      })
      .prefault({}),
    consistency: z
      .object({
        /** Consistency is 1 − spread ÷ (spreadMultiple × mean latency), floored at 0 (1 when the mean is 0). */
        spreadMultiple: z.number().positive().max(1_000).default(3),
      })
      .strict()
      .prefault({}),
    /** A score strictly below this needs a rewrite; a score equal to it does not. */
    rewriteBelow: rate.default(0.6),
    /** With fewer calls than this there is no verdict: status `insufficient-data`, no rewrite. */
    minInvocations: z.number().int().min(1).max(1_000_000).default(3),
    /** When a component is worth a reason even if the score is fine. */
    reasons: z
      .object({
        /** A `failure-rate` reason when the share of failed calls is above this. */
        failureRateAbove: rate.default(0.1),
        /**
         * An `inconsistency` reason when spread ÷ mean latency is above this. The default 1.5
         * is where the default consistency component reaches 0.5.
         */
        spreadRatioAbove: z.number().min(0).max(1_000).default(1.5),
      })
      .strict()
      .prefault({}),
    /** How wrong outputs are recognised and when they force a rewrite. */
    wrongOutput: z
      .object({
        /** Error codes in `ToolSummary.errors` that mean "the output was checked and wrong". */
        codes: z.array(z.string().min(1).max(100)).max(100).default([WRONG_OUTPUT_CODE]),
        /** A `wrong-output` reason, and a rewrite, when the share of wrong outputs is above this. 1 turns it off. */
        rewriteAboveRate: rate.default(0),
      })
      .strict()
      .prefault({}),
    /** The guarded comparison of a window against its baseline window. */
    baseline: z
      .object({
        /** A regression is reported only when the one-sided test's p-value is below this. */
        significance: z.number().gt(0).lt(1).default(0.01),
        /** Both windows need at least this many calls before any test runs. */
        minInvocations: z.number().int().min(2).max(1_000_000).default(30),
        /** The smallest fall in success rate (absolute, e.g. 0.05 = 5 points) worth a rewrite. */
        minSuccessRateDrop: rate.default(0.05),
        /**
         * The smallest rise in mean latency worth a rewrite in absolute terms: as a ratio of the
         * baseline mean...
         */
        minLatencyIncreaseRatio: z.number().min(1).max(1_000).default(1.5),
        /** ...and in milliseconds; both must be reached. */
        minLatencyIncreaseMs: milliseconds.default(100),
        /**
         * The smallest rise in mean latency worth a rewrite relative to the version's own
         * baseline, for fast tools whose slowdowns stay under `minLatencyIncreaseMs`: a rise to at
         * least `minRatio` × the baseline mean, of at least `minIncreaseMs`, is tested too. A
         * `minRatio` of 1000 turns it off.
         */
        relativeLatency: z
          .object({
            minRatio: z.number().min(1).max(1_000).default(2.5),
            minIncreaseMs: milliseconds.default(10),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** What `createEvaluator` accepts: every field optional. See {@link evaluatorConfigSchema}. */
export type EvaluatorConfig = z.input<typeof evaluatorConfigSchema>;

/** A configuration with every default filled in. See {@link evaluatorConfigSchema}. */
export type ResolvedEvaluatorConfig = z.output<typeof evaluatorConfigSchema>;

/** The configuration with every default, as `createEvaluator()` uses it. Frozen. */
export const DEFAULT_EVALUATOR_CONFIG: ResolvedEvaluatorConfig = deepFreeze(evaluatorConfigSchema.parse({}));
