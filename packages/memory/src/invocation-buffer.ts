import type { InvocationValues } from './invocation-writer.js';

/** How the buffer batches; see `CreateMemoryOptions`. */
export interface InvocationBufferOptions {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxBuffered: number;
  /**
   * The most rows one write may carry when more than a batch waits: whole batches are
   * grouped into one transaction up to it (at least one batch; 0 or less turns grouping off).
   */
  readonly groupRows: number;
  /** Writes one or more whole batches atomically (one transaction), or throws having written nothing. */
  readonly write: (batches: readonly (readonly InvocationValues[])[]) => Promise<void>;
  /** Told about a failed background flush (the batch stays buffered and is retried). */
  readonly onBackgroundError: (error: unknown) => void;
  /**
   * True when a failed write was refused for what one of its rows holds (a constraint, a value
   * out of range), not for the state of the database: the rows are then written one part at a
   * time, and the row refused alone is dropped through `onRefused`.
   */
  readonly isRowError: (error: unknown) => boolean;
  /** Told about a row the database refused on its own; it is dropped, and later rows are written. */
  readonly onRefused: (values: InvocationValues, error: unknown) => void;
  /** Told once when the buffer becomes full and starts dropping (again after it drained). */
  readonly onFull: (dropped: number) => void;
}

/**
 * The in-memory queue between `record` and the database. A flush starts when `batchSize`
 * invocations wait (on the next turn of the event loop, never inside `record`), when the
 * oldest waiting one is `flushIntervalMs` old (an unref'd timer: it never keeps a process
 * alive), on `flush()`, and on close. One flush runs at a time; a failed batch goes back to
 * the front of the queue and is retried, so the database sees whole batches in order. When
 * more than a batch waits (a backlog), one write carries several whole batches, up to
 * `groupRows` rows, in one transaction (group commit): fewer, larger commits.
 */
export class InvocationBuffer {
  readonly #options: InvocationBufferOptions;
  #rows: InvocationValues[] = [];
  #timer: NodeJS.Timeout | undefined;
  #kickScheduled = false;
  #draining: Promise<void> | undefined;
  #written = 0;
  /** Rows taken by the write in flight: they come back to the queue if it fails. */
  #inFlight = 0;
  #dropped = 0;
  #refused = 0;
  #full = false;
  #stopped = false;

  constructor(options: InvocationBufferOptions) {
    this.#options = options;
  }

  /** Queues one invocation; O(1), never touches the database. */
  add(values: InvocationValues): void {
    // Rows in flight count too: a failed write puts them back.
    if (this.#rows.length + this.#inFlight >= this.#options.maxBuffered) {
      // The database has been failing for a long time; keep memory bounded.
      this.#dropped += 1;
      if (!this.#full) {
        this.#full = true;
        this.#options.onFull(this.#dropped);
      }
      return;
    }
    this.#rows.push(values);
    if (this.#rows.length >= this.#options.batchSize) this.#kickSoon();
    else if (this.#timer === undefined && this.#draining === undefined) this.#arm();
  }

  get buffered(): number {
    return this.#rows.length;
  }

  get written(): number {
    return this.#written;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Rows the database refused on their own, dropped so that later rows are written. */
  get refused(): number {
    return this.#refused;
  }

  /** Writes everything queued before (and while) it runs; rejects if a batch cannot be written. */
  async flush(): Promise<void> {
    if (this.#draining !== undefined) await this.#draining.catch(() => {});
    if (this.#rows.length > 0) await this.#drain();
  }

  /** Stops background flushing for good; queued invocations stay until the next `flush()`. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#background();
    }, this.#options.flushIntervalMs);
    this.#timer.unref();
  }

  #kickSoon(): void {
    if (this.#stopped || this.#kickScheduled || this.#draining !== undefined) return;
    this.#kickScheduled = true;
    setImmediate(() => {
      this.#kickScheduled = false;
      this.#background();
    });
  }

  #background(): void {
    this.#drain().catch((error: unknown) => this.#options.onBackgroundError(error));
  }

  /**
   * `rows` failed together for what a row holds: writes them in halves, recursively, until the
   * rows the database refuses on their own are found; those are dropped (`onRefused`), the
   * others written in order. Stops at the first failure that is not about a row (the database
   * went away): the rows not yet written come back, with that error.
   */
  async #isolate(rows: InvocationValues[], error: unknown): Promise<{ rows: InvocationValues[]; error?: unknown }> {
    if (rows.length === 1) {
      this.#refused += 1;
      this.#options.onRefused(rows[0] as InvocationValues, error);
      return { rows: [] };
    }
    const middle = Math.ceil(rows.length / 2);
    const halves = [rows.slice(0, middle), rows.slice(middle)];
    for (let index = 0; index < halves.length; index++) {
      const part = halves[index] as InvocationValues[];
      let left: { rows: InvocationValues[]; error?: unknown };
      try {
        await this.#options.write([part]);
        this.#written += part.length;
        continue;
      } catch (partError) {
        left = this.#options.isRowError(partError) ? await this.#isolate(part, partError) : { rows: part, error: partError };
      }
      if (left.rows.length > 0) return { rows: index === 0 ? left.rows.concat(halves[1] as InvocationValues[]) : left.rows, error: left.error };
    }
    return { rows: [] };
  }

  #drain(): Promise<void> {
    if (this.#draining !== undefined) return this.#draining;
    this.#clearTimer();
    let failed = false;
    this.#draining = (async () => {
      const { batchSize, groupRows } = this.#options;
      while (this.#rows.length > 0) {
        // Whole batches only, so that a batch is never split across transactions.
        const batchesInGroup = Math.max(1, Math.floor(groupRows / batchSize));
        const taken = this.#rows.splice(0, batchSize * batchesInGroup);
        const batches: InvocationValues[][] = [];
        for (let start = 0; start < taken.length; start += batchSize) batches.push(taken.slice(start, start + batchSize));
        this.#inFlight = taken.length;
        try {
          await this.#options.write(batches);
          this.#written += taken.length;
        } catch (error) {
          // One bad row must not hold back every row after it: find it, drop it, write the rest.
          const unwritten = this.#options.isRowError(error) ? await this.#isolate(taken, error) : { rows: taken, error };
          if (unwritten.rows.length > 0) {
            this.#rows = unwritten.rows.concat(this.#rows);
            failed = true;
            throw unwritten.error;
          }
        } finally {
          this.#inFlight = 0;
        }
        if (this.#rows.length < this.#options.maxBuffered) this.#full = false;
      }
    })().finally(() => {
      this.#draining = undefined;
      if (this.#rows.length === 0 || this.#timer !== undefined) return;
      // After a failure, wait a full interval before retrying rather than hammering the database.
      if (!failed && this.#rows.length >= this.#options.batchSize) this.#kickSoon();
      else this.#arm();
    });
    return this.#draining;
  }
}
