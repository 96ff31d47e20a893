import type { ToolSummary } from '@toolwright/core';

/** What a test says about a window; everything else is filled in consistently. */
export interface SummaryShape {
  readonly tool?: string;
  readonly version?: number;
  readonly count: number;
  readonly successCount?: number;
  readonly meanMs?: number;
  readonly spreadMs?: number;
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly maxMs?: number;
  readonly errors?: readonly { readonly code: string; readonly count: number }[];
}

/**
 * Builds a self-consistent `ToolSummary` for tests (not exported from the package): success
 * rate from the counts, failures coded `TIMEOUT` unless `errors` is given, percentiles around
 * the mean unless given.
 */
export function buildSummary(shape: SummaryShape): ToolSummary {
  const successCount = shape.successCount ?? shape.count;
  const failures = shape.count - successCount;
  const mean = shape.count === 0 ? 0 : (shape.meanMs ?? 100);
  const p50 = shape.count === 0 ? 0 : (shape.p50Ms ?? mean);
  const p95 = shape.count === 0 ? 0 : (shape.p95Ms ?? Math.max(p50, mean) * 2);
  const max = shape.count === 0 ? 0 : (shape.maxMs ?? p95 * 2);
  return {
    tool: shape.tool ?? 'total_fares',
    version: shape.version ?? 1,
    window: { lastN: Math.max(1, shape.count) },
    count: shape.count,
    successCount,
    successRate: shape.count === 0 ? 0 : successCount / shape.count,
    latency: { mean, p50, p95, max, spread: shape.count === 0 ? 0 : (shape.spreadMs ?? 0) },
    errors: shape.errors ?? (failures > 0 ? [{ code: 'TIMEOUT', count: failures }] : []),
    recentErrors: [],
    firstAt: shape.count === 0 ? undefined : 1_700_000_000_000,
    lastAt: shape.count === 0 ? undefined : 1_700_000_000_000 + shape.count * 1_000,
  };
}
