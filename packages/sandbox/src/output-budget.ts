/**
 * What a result costs the host once parsed. JSON text of tiny values (`[{},{},…]`) grows about
 * twenty-fold when parsed (an empty object takes some 60 bytes of heap for its 3 bytes of
 * text), so a size cap on the text alone does not bound the host's heap: the number of values
 * is counted too, before anything is parsed. Used by the worker (to refuse early and send
 * nothing large) and again by the host (which does not trust the worker's report).
 */

/** Limits on one result and on all results of one `run`/`runMany` call together. */
export interface OutputLimits {
  /** Largest result, UTF-8 JSON bytes. */
  readonly maxOutputBytes: number;
  /** Most JSON nodes in one result. */
  readonly maxOutputNodes: number;
  /** Most result bytes (JSON and log text) of one call together. */
  readonly maxBatchOutputBytes: number;
  /** Most JSON nodes of one call together. */
  readonly maxBatchOutputNodes: number;
}

/**
 * Counts the nodes of a JSON text: every object, array, string (object keys included),
 * number, `true`, `false` and `null`. Stops as soon as the count passes `limit` and returns
 * `limit + 1`. The text is assumed to be JSON (what a guest serialised); punctuation and
 * whitespace are skipped.
 */
export function countJsonNodes(text: string, limit: number): number {
  let nodes = 0;
  const length = text.length;
  let index = 0;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === 0x22) {
      // A string: skip to its closing quote, over escapes.
      nodes += 1;
      index += 1;
      while (index < length) {
        const inner = text.charCodeAt(index);
        if (inner === 0x5c) index += 2;
        else if (inner === 0x22) break;
        else index += 1;
      }
      index += 1;
    } else if (code === 0x7b || code === 0x5b) {
      nodes += 1;
      index += 1;
    } else if (code === 0x2d || (code >= 0x30 && code <= 0x39) || code === 0x74 || code === 0x66 || code === 0x6e) {
      // A number or a literal: one node, then skip its characters.
      nodes += 1;
      index += 1;
      while (index < length) {
        const inner = text.charCodeAt(index);
        if (inner === 0x2c || inner === 0x7d || inner === 0x5d || inner === 0x3a || inner === 0x20 || inner === 0x0a || inner === 0x0d || inner === 0x09) break;
        index += 1;
      }
    } else {
      index += 1;
    }
    if (nodes > limit) return limit + 1;
  }
  return nodes;
}

/** Why a result was refused by {@link OutputBudget.admit}. */
export interface OutputRefusal {
  readonly message: string;
}

/** Bytes of a string as UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The output budget of one call (`run` is a call of one). Each result is admitted in turn:
 * it must fit the per-result limits and what is left of the call's budget. Once one does not
 * fit, the budget is spent: that result and every later one are refused (the worker stops
 * running the remaining cases).
 */
export class OutputBudget {
  private bytes = 0;
  private nodes = 0;
  private spentBy: string | undefined;

  constructor(
    private readonly limits: OutputLimits,
    private readonly toolName: string,
  ) {}

  /** True once a result did not fit: later cases are not run. */
  get spent(): boolean {
    return this.spentBy !== undefined;
  }

  /** The refusal for a case that was not run because the budget is spent. */
  notRun(): OutputRefusal {
    return {
      message: `tool "${this.toolName}" was not run on this case: the results of this call together went over its output budget (${this.spentBy ?? 'spent'}). Run fewer cases per call, or make the tool return less per case (limits maxBatchOutputBytes = ${this.limits.maxBatchOutputBytes}, maxBatchOutputNodes = ${this.limits.maxBatchOutputNodes})`,
    };
  }

  /** Logs count against the call's bytes; they are kept while they fit, dropped after. */
  admitLogs(logs: readonly string[]): readonly string[] {
    if (logs.length === 0) return logs;
    let total = 0;
    for (const line of logs) total += utf8Length(line);
    if (this.bytes + total <= this.limits.maxBatchOutputBytes) {
      this.bytes += total;
      return logs;
    }
    return [`… ${logs.length} log line(s) dropped: the results of this call together are over its ${this.limits.maxBatchOutputBytes}-byte output budget`];
  }

  /**
   * Admits one serialised result, or says why not. Nothing is parsed here; the caller parses
   * only what was admitted.
   */
  admit(json: string): OutputRefusal | undefined {
    if (this.spentBy !== undefined) return this.notRun();
    const { maxOutputBytes, maxOutputNodes, maxBatchOutputBytes, maxBatchOutputNodes } = this.limits;
    const bytes = utf8Length(json);
    if (bytes > maxOutputBytes) {
      return {
        message: `the result of tool "${this.toolName}" serialises to ${bytes} bytes; the limit is ${maxOutputBytes} (maxOutputBytes). Return less: page, filter or summarise the data`,
      };
    }
    const nodeLimit = Math.min(maxOutputNodes, maxBatchOutputNodes - this.nodes);
    const nodes = countJsonNodes(json, Math.max(0, nodeLimit));
    if (nodes > maxOutputNodes) {
      return {
        message: `the result of tool "${this.toolName}" holds more than ${maxOutputNodes} JSON values (objects, arrays, strings, numbers, booleans and nulls, keys included); the limit is maxOutputNodes = ${maxOutputNodes}. Return fewer, larger values: page, filter or summarise the data`,
      };
    }
    if (nodes > nodeLimit || this.bytes + bytes > maxBatchOutputBytes) {
      this.spentBy = this.bytes + bytes > maxBatchOutputBytes ? `over ${maxBatchOutputBytes} bytes` : `over ${maxBatchOutputNodes} JSON values`;
      return {
        message: `the result of tool "${this.toolName}" does not fit in what is left of this call's output budget (its results together went ${this.spentBy}); the cases after it were not run. Run fewer cases per call, or make the tool return less per case`,
      };
    }
    this.bytes += bytes;
    this.nodes += nodes;
    return undefined;
  }
}
