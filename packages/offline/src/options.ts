import { z } from 'zod';

/** The search limits and their defaults; see the README's "Limits". */
export const SYNTHESIS_DEFAULTS = Object.freeze({
  /** Largest program size searched: operations, plus one per constant taken from example data. */
  maxProgramSize: 9,
  /** Most candidate programs evaluated in one search. */
  maxPrograms: 400_000,
  /** Wall-clock budget of one search, in milliseconds. */
  timeBudgetMs: 2_000,
  /** Absolute tolerance when comparing numbers with expected outputs (the agent checks examples with 1e-9). */
  tolerance: 1e-9,
  /** Relative tolerance (a share of the larger magnitude); none by default. */
  relativeTolerance: 0,
});

/** The limits of one synthesis. Every field is optional; defaults are {@link SYNTHESIS_DEFAULTS}. */
export interface SynthesisLimits {
  /** Largest program size searched (1–16). Default 9. */
  readonly maxProgramSize?: number;
  /** Most candidate programs evaluated (≥ 1). Default 400 000. */
  readonly maxPrograms?: number;
  /** Search time budget in milliseconds (0 stops before the first program). Default 2000. */
  readonly timeBudgetMs?: number;
  /** Absolute numeric tolerance against expected outputs. Default 1e-9. A task's own `tolerance` (`GenerateRequest.task.tolerance`) overrides it for that task. */
  readonly tolerance?: number;
  /** Relative numeric tolerance (0–1, a share of the larger magnitude). Default 0 (none). */
  readonly relativeTolerance?: number;
}

export const synthesisLimitsSchema = z
  .object({
    maxProgramSize: z.number().int().min(1).max(16).default(SYNTHESIS_DEFAULTS.maxProgramSize),
    maxPrograms: z.number().int().min(1).max(100_000_000).default(SYNTHESIS_DEFAULTS.maxPrograms),
    timeBudgetMs: z.number().min(0).max(600_000).default(SYNTHESIS_DEFAULTS.timeBudgetMs),
    tolerance: z.number().min(0).max(1).default(SYNTHESIS_DEFAULTS.tolerance),
    relativeTolerance: z.number().min(0).max(1).default(SYNTHESIS_DEFAULTS.relativeTolerance),
  })
  .strict();
