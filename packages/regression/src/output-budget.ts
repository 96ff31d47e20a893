import type { JsonValue, RunResult } from '@toolwright/core';

/** Cases each `runMany` call of a comparison takes, so the comparison's output budget is checked between calls. */
export const CASES_PER_CALL = 64;
const CASES_NOTE = `${CASES_PER_CALL} cases`;

/** What one result costs: its JSON bytes (with its logs) and its JSON nodes. */
export interface OutputCost {
  readonly bytes: number;
  readonly nodes: number;
}

/** The bytes of a result's value as JSON and of its logs, and the nodes of its value (every value and key). */
export function outputCost(result: RunResult): OutputCost {
  let bytes = 0;
  for (const line of result.logs) bytes += Buffer.byteLength(line, 'utf8');
  if (!result.ok) return { bytes: bytes + Buffer.byteLength(result.error.message, 'utf8'), nodes: 0 };
  bytes += Buffer.byteLength(JSON.stringify(result.value), 'utf8');
  return { bytes, nodes: countNodes(result.value) };
}

function countNodes(value: JsonValue): number {
  let nodes = 0;
  const stack: JsonValue[] = [value];
  for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
    nodes += 1;
    if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
    }
    else if (current !== null && typeof current === 'object') {
      for (const [, item] of Object.entries(current)) {
        nodes += 1;
        if (item !== undefined) stack.push(item);
      }
    }
  }
  return nodes;
}

/**
 * What one side of a comparison may keep of its results. Results are admitted in case order;
 * the one that does not fit fails with `OUTPUT_TOO_LARGE`, and the cases after it are not run.
 * The sandbox caps each call on its own; this caps the comparison, which runs in several calls.
 */
export class SideBudget {
  private bytes = 0;
  private nodes = 0;
  private spentBy: string | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly maxNodes: number,
    private readonly label: string,
  ) {}

  /** True once a result did not fit: the remaining cases are not run. */
  get spent(): boolean {
    return this.spentBy !== undefined;
  }

  /** The result as the budget lets it through. */
  admit(result: RunResult): RunResult {
    const cost = outputCost(result);
    if (this.bytes + cost.bytes <= this.maxBytes && this.nodes + cost.nodes <= this.maxNodes) {
      this.bytes += cost.bytes;
      this.nodes += cost.nodes;
      return result;
    }
    this.spentBy = this.bytes + cost.bytes > this.maxBytes ? `over ${this.maxBytes} bytes` : `over ${this.maxNodes} JSON values`;
    return {
      ok: false,
      error: {
        code: 'OUTPUT_TOO_LARGE',
        message: `the outputs of ${this.label} on this comparison's cases together went ${this.spentBy}, its half of the comparison's output budget; later cases are dropped (and not run, past the current batch of ${CASES_NOTE}). Return less per case, or raise maxComparisonOutputBytes / maxComparisonOutputNodes`,
      },
      durationMs: result.durationMs,
      logs: [],
    };
  }

  /** The result of a case that was not run because the budget is spent. */
  notRun(): RunResult {
    return {
      ok: false,
      error: {
        code: 'OUTPUT_TOO_LARGE',
        message: `dropped: the outputs of ${this.label} on earlier cases already went ${this.spentBy ?? 'over'} its half of the comparison's output budget. Return less per case, or raise maxComparisonOutputBytes / maxComparisonOutputNodes`,
      },
      durationMs: 0,
      logs: [],
    };
  }
}
