import { EvaluatorError, type ToolSummary } from '@toolwright/core';
import { z } from 'zod';

const count = z.number().int().nonnegative();
const milliseconds = z.number().nonnegative();
const epochMs = z.number().nonnegative().optional();

// The shape of core's `ToolSummary`. Unknown extra fields are ignored, so a memory
// implementation may add fields without breaking the evaluator.
const toolSummarySchema = z.object({
  tool: z.string().min(1),
  version: z.number().int().min(1).optional(),
  window: z.union([
    z.looseObject({ lastN: z.number().int().positive() }),
    z.looseObject({ since: z.number().nonnegative(), until: z.number().nonnegative().optional() }),
  ]),
  count,
  successCount: count,
  successRate: z.number().min(0).max(1),
  latency: z.object({ mean: milliseconds, p50: milliseconds, p95: milliseconds, max: milliseconds, spread: milliseconds }),
  errors: z.array(z.object({ code: z.string().min(1), count: z.number().int().positive() })),
  recentErrors: z.array(
    z.object({ code: z.string().min(1), message: z.string(), version: z.number().int().min(1), startedAt: z.number().nonnegative() }),
  ),
  firstAt: epochMs,
  lastAt: epochMs,
});

/** Rates and latencies come from SQL aggregates; allow for their rounding and nothing more. */
const TOLERANCE = 1e-9;

/** Every way `summary` contradicts itself, in words; empty when it is consistent. */
function inconsistencies(summary: ToolSummary): string[] {
  const problems: string[] = [];
  const { latency } = summary;
  if (summary.successCount > summary.count) {
    problems.push(`successCount (${summary.successCount}) is greater than count (${summary.count})`);
  }
  const expectedRate = summary.count === 0 ? 0 : summary.successCount / summary.count;
  if (Math.abs(summary.successRate - expectedRate) > TOLERANCE) {
    problems.push(`successRate (${summary.successRate}) is not successCount / count (${expectedRate})`);
  }
  const failures = summary.count - summary.successCount;
  const codedFailures = summary.errors.reduce((sum, error) => sum + error.count, 0);
  if (failures >= 0 && codedFailures > failures) {
    problems.push(`the error counts add up to ${codedFailures}, more than the ${failures} failed calls`);
  }
  const codes = new Set(summary.errors.map((error) => error.code));
  if (codes.size !== summary.errors.length) problems.push('an error code appears more than once in errors');
  if (summary.count === 0) {
    if (latency.mean !== 0 || latency.p50 !== 0 || latency.p95 !== 0 || latency.max !== 0 || latency.spread !== 0) {
      problems.push('latencies must be 0 when count is 0');
    }
    if (summary.firstAt !== undefined || summary.lastAt !== undefined) problems.push('firstAt and lastAt must be undefined when count is 0');
  } else {
    const slack = TOLERANCE * Math.max(1, latency.max);
    if (latency.p50 > latency.p95 + slack) problems.push(`latency p50 (${latency.p50}) is above p95 (${latency.p95})`);
    if (latency.p95 > latency.max + slack) problems.push(`latency p95 (${latency.p95}) is above max (${latency.max})`);
    if (latency.mean > latency.max + slack) problems.push(`latency mean (${latency.mean}) is above max (${latency.max})`);
    if (summary.firstAt === undefined || summary.lastAt === undefined) {
      problems.push('firstAt and lastAt must be set when count is above 0');
    } else if (summary.firstAt > summary.lastAt) {
      problems.push(`firstAt (${summary.firstAt}) is after lastAt (${summary.lastAt})`);
    }
  }
  return problems;
}

function describe(summary: unknown): string {
  if (typeof summary !== 'object' || summary === null) return '';
  const { tool, version } = summary as { tool?: unknown; version?: unknown };
  const name = typeof tool === 'string' ? ` of "${tool}"` : '';
  return typeof version === 'number' ? `${name} v${version}` : name;
}

/**
 * Checks that `value` is a `ToolSummary` that could describe a real window of calls, and
 * returns it. Throws an {@link EvaluatorError} `EVALUATOR_INVALID_SUMMARY` listing every
 * problem otherwise. `role` names the argument in the message (`summary` or `baseline`).
 */
export function validateSummary(value: unknown, role: 'summary' | 'baseline summary'): ToolSummary {
  const fix = 'It cannot describe a real window of calls; fix whatever computed it (normally Memory.summary).';
  const parsed = toolSummarySchema.safeParse(value);
  if (!parsed.success) {
    throw new EvaluatorError(
      'EVALUATOR_INVALID_SUMMARY',
      `The ${role}${describe(value)} given to the evaluator is malformed:\n${z.prettifyError(parsed.error)}\n${fix}`,
      {
        details: {
          role,
          issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
        },
      },
    );
  }
  const summary = parsed.data as ToolSummary;
  const problems = inconsistencies(summary);
  if (problems.length > 0) {
    throw new EvaluatorError(
      'EVALUATOR_INVALID_SUMMARY',
      `The ${role}${describe(value)} given to the evaluator is inconsistent: ${problems.join('; ')}. ${fix}`,
      { details: { role, problems } },
    );
  }
  return summary;
}
