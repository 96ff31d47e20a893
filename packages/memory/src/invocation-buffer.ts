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
        } catch (error) {
          this.#rows = taken.concat(this.#rows);
          failed = true;
          throw error;
        } finally {
          this.#inFlight = 0;
        }
        this.#written += taken.length;
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
