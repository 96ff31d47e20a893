import type { CaseRun, JsonValue, RegressionCase, RunResult } from '@toolwright/core';
import { formatDifferences, jsonDifferences, type Tolerance } from './json-compare.js';
import { formatMs } from './latency.js';
import type { SchemaChecker } from './schema-check.js';

/**
 * Judges one run against one case: a failed run fails the case; otherwise every assertion
 * the case sets (golden output within tolerance, JSON Schema, latency maximum) must hold.
 */
export function checkRun(testCase: RegressionCase, result: RunResult, schemas: SchemaChecker, defaultTolerance: number): CaseRun {
  if (!result.ok) {
    return {
      pass: false,
      error: { code: result.error.code, message: result.error.message },
      durationMs: result.durationMs,
      failures: [`failed with ${result.error.code}: ${result.error.message}`],
    };
  }
  const failures: string[] = [];
  const { expect } = testCase;
  if (expect.output !== undefined) {
    const tolerance = { absolute: expect.tolerance ?? defaultTolerance, relative: expect.relativeTolerance ?? 0 };
    const differences = jsonDifferences(result.value, expect.output, tolerance, 5);
    if (differences.length > 0) failures.push(`output differs from the golden output: ${formatDifferences(differences).replaceAll('\n', '; ')}`);
  }
  if (expect.schema !== undefined) {
    const problem = schemas.check(result.value, expect.schema, `case ${testCase.id}`);
    if (problem !== undefined) failures.push(`output does not match the case's JSON Schema: ${problem}`);
  }
  if (expect.maxLatencyMs !== undefined && result.durationMs > expect.maxLatencyMs) {
    failures.push(`took ${formatMs(result.durationMs)}, more than the ${formatMs(expect.maxLatencyMs)} allowed`);
  }
  return { pass: failures.length === 0, output: result.value, durationMs: result.durationMs, failures };
}

/** A run that never happened because the version did not compile. */
export function notCompiledRun(code: string, message: string): CaseRun {
  return { pass: false, error: { code, message }, durationMs: 0, failures: [`did not compile (${code}): ${message}`] };
}

/** A readable diff of the two sides' outputs, when both produced one and they differ. */
export function outputDiff(candidate: JsonValue | undefined, baseline: JsonValue | undefined, tolerance: Tolerance): string | undefined {
  if (candidate === undefined || baseline === undefined) return undefined;
  const differences = jsonDifferences(candidate, baseline, tolerance, 20);
  return differences.length === 0 ? undefined : formatDifferences(differences, { expected: 'baseline', actual: 'candidate' });
}
