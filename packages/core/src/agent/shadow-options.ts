import { z } from 'zod';

/**
 * When and how the agent compares a promoted tool version with the version it replaced, on
 * live calls, off the user's path. See the core README, "Shadow comparison after promotion".
 */
export const shadowOptionsSchema = z
  .object({
    /** Share of calls sampled while a version has served fewer than `initialCalls` calls in this process. */
    initialRate: z.number().min(0).max(1).default(0.05),
    initialCalls: z.number().int().nonnegative().max(1_000_000_000).default(200),
    /** Share of calls sampled afterwards. */
    rate: z.number().min(0).max(1).default(0.01),
    /** Shadow runs in flight at once; a sample drawn while this many run is skipped (never queued). */
    maxConcurrent: z.number().int().positive().max(64).default(2),
    /**
     * With no ground truth for the inputs: the previous version is presumed right once at least
     * this many comparisons disagreed…
     */
    minDisagreements: z.number().int().positive().max(10_000).default(5),
    /** …and they are at least this share of the comparisons in which both versions succeeded. */
    minDisagreementShare: z.number().gt(0).max(1).default(0.5),
    /** Calls judged wrong (WRONG_OUTPUT recorded) before a rollback is proposed to the gate. */
    rollbackAfter: z.number().int().positive().max(10_000).default(3),
    /** The window the evaluator judges before the rollback: the version's last N calls. */
    lastN: z.number().int().positive().max(100_000).default(200),
    /** The randomness of the sampler, in [0, 1). Default `Math.random`. */
    random: z.custom<() => number>((value) => typeof value === 'function', { message: 'a function returning a number in [0, 1)' }).optional(),
  })
  .strict();

/** Options of the shadow comparison (`createAgent({ shadow })`); every field optional. */
export type ShadowOptions = z.input<typeof shadowOptionsSchema>;
/** The options with their defaults filled in. */
export type ResolvedShadowOptions = z.output<typeof shadowOptionsSchema>;
