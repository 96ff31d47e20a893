import { type Sandbox, parseOrThrow } from '@toolwright/core';
import { z } from 'zod';
import type { RegressionDatabase } from './store/regression-database.js';

const sandboxSchema = z.custom<Sandbox>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ['compile', 'run', 'runMany'].every((method) => typeof (value as Record<string, unknown>)[method] === 'function'),
  { message: 'a Sandbox (compile, run, runMany), e.g. createSandbox() from @toolwright/sandbox' },
);

const databaseSchema = z.custom<RegressionDatabase>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ((value as Record<string, unknown>)['dialect'] === 'sqlite' || (value as Record<string, unknown>)['dialect'] === 'postgres') &&
    typeof (value as Record<string, unknown>)['kysely'] === 'object',
  { message: 'a database handle { dialect: "sqlite" | "postgres", kysely }, e.g. openDatabase(url) from @toolwright/store' },
);

/** Options of {@link createRegressionRunner}, validated with zod. */
export const regressionRunnerOptionsSchema = z
  .object({
    /** Where both versions run. */
    sandbox: sandboxSchema,
    /** Where cases and shadow runs are kept; without it they live in this process only. */
    database: databaseSchema.optional(),
    /** The share of captured cases held out from every rewriter, in [0, 0.9]. Default 0.25. */
    heldOutShare: z.number().min(0).max(0.9).default(0.25),
    /** The most captured cases kept per tool; later captures are refused. Default 200. */
    captureLimit: z.number().int().positive().max(100_000).default(200),
    /** Absolute numeric tolerance for golden outputs of cases that set none. Default 0. */
    tolerance: z.number().finite().nonnegative().default(0),
    /** Per-run wall-clock limit passed to the sandbox; default: the sandbox's own. */
    runTimeoutMs: z.number().finite().positive().optional(),
    /** How much lower p95 latency must be to count as fixing a latency problem (0.1 = 10 %). Default 0.1. */
    minLatencyImprovement: z.number().min(0).max(0.99).default(0.1),
    /** The least agreement with the active version in shadow runs, in 0..1. Default 0.95. */
    minShadowAgreement: z.number().min(0).max(1).default(0.95),
    /**
     * The most output bytes (results as JSON, and logs) one `compare` keeps of both versions
     * together; each side gets half. Cases past a side's half are not run, and fail. Default 16 MiB.
     */
    maxComparisonOutputBytes: z.number().int().positive().max(4 * 1024 * 1024 * 1024).default(16 * 1024 * 1024),
    /**
     * The most JSON nodes (objects, arrays, strings, numbers, booleans, nulls, keys included) one
     * `compare` keeps of both versions together; each side gets half. Default 500,000.
     */
    maxComparisonOutputNodes: z.number().int().positive().max(1_000_000_000).default(500_000),
    /** The clock for `createdAt` and shadow timestamps (epoch ms). Default `Date.now`. */
    now: z.custom<() => number>((value) => typeof value === 'function', { message: 'a function returning epoch milliseconds' }).optional(),
  })
  .strict();

/** What {@link createRegressionRunner} accepts. */
export type RegressionRunnerOptions = z.input<typeof regressionRunnerOptionsSchema>;
/** The options with defaults filled in. */
export type ResolvedRegressionRunnerOptions = z.output<typeof regressionRunnerOptionsSchema>;

/** Validates runner options at the boundary. */
export function parseRunnerOptions(options: unknown): ResolvedRegressionRunnerOptions {
  return parseOrThrow(regressionRunnerOptionsSchema, options, 'regression runner options');
}
