/**
 * What is known of one arm: its calls' outcomes and latencies, as sums that add up across
 * processes (an increment is `n = n + 1`, never a read-modify-write).
 */
export interface ArmCounts {
  readonly successes: number;
  readonly failures: number;
  /** The sum of the calls' latencies in ms (for the mean people read). */
  readonly latencyMsSum: number;
  /** The sum of `ln(1 + latency ms)`: the latency test works on this scale, where latencies are roughly normal. */
  readonly logLatencySum: number;
  /** The sum of `ln(1 + latency ms)²`, for the variance. */
  readonly logLatencySquareSum: number;
}

/** No calls yet. */
export const EMPTY_COUNTS: ArmCounts = Object.freeze({ successes: 0, failures: 0, latencyMsSum: 0, logLatencySum: 0, logLatencySquareSum: 0 });

/** One call's outcome, as recorded. */
export interface CallOutcome {
  readonly success: boolean;
  /** Wall time of the call in ms; absent when not measured (it then counts 0 ms). */
  readonly latencyMs?: number;
}

/** The counts of one call. */
export function countsOf(outcome: CallOutcome): ArmCounts {
  const latency = Math.max(0, outcome.latencyMs ?? 0);
  const log = Math.log1p(latency);
  return {
    successes: outcome.success ? 1 : 0,
    failures: outcome.success ? 0 : 1,
    latencyMsSum: latency,
    logLatencySum: log,
    logLatencySquareSum: log * log,
  };
}

/** The sum of two counts. */
export function addCounts(a: ArmCounts, b: ArmCounts): ArmCounts {
  return {
    successes: a.successes + b.successes,
    failures: a.failures + b.failures,
    latencyMsSum: a.latencyMsSum + b.latencyMsSum,
    logLatencySum: a.logLatencySum + b.logLatencySum,
    logLatencySquareSum: a.logLatencySquareSum + b.logLatencySquareSum,
  };
}

/** How many calls the counts hold. */
export function callsOf(counts: ArmCounts): number {
  return counts.successes + counts.failures;
}

/** The figures people read about one arm. */
export interface ArmFigures {
  readonly calls: number;
  readonly successes: number;
  readonly failures: number;
  /** `successes / calls`, or `undefined` before the first call. */
  readonly successRate: number | undefined;
  /** Mean latency in ms, or `undefined` before the first call. */
  readonly meanLatencyMs: number | undefined;
}

/** The figures of one arm's counts. */
export function figuresOf(counts: ArmCounts): ArmFigures {
  const calls = callsOf(counts);
  return {
    calls,
    successes: counts.successes,
    failures: counts.failures,
    successRate: calls === 0 ? undefined : counts.successes / calls,
    meanLatencyMs: calls === 0 ? undefined : counts.latencyMsSum / calls,
  };
}
