import type { Toolwright } from 'toolwright';
import { fingerprintOf } from './tool-catalog.js';

/** What {@link watchTools} needs of Toolwright. */
export type WatchSource = Pick<Toolwright, 'registry' | 'database'>;

/** Options of {@link watchTools}. */
export interface WatchOptions {
  /**
   * How often to re-read the active versions, in ms; `0` turns polling off. Default: 1,000 on
   * SQLite (a change made by another process on the file sends no event here), 0 on PostgreSQL
   * (every instance hears the registry's change events through LISTEN/NOTIFY).
   */
  readonly pollIntervalMs?: number;
  /** Called when a check fails (e.g. the database went away); the watch goes on. */
  readonly onError?: (error: unknown) => void;
}

/** A running watch over the set of active tool versions. */
export interface ToolWatch {
  /** Subscribes to changes of the active tool set; returns the function that unsubscribes. */
  onChange(listener: () => void): () => void;
  /** Re-reads the active versions now; resolves once listeners of a change were called. */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Watches the set of active tool versions: the registry's change events (this process, and on
 * PostgreSQL every other instance) trigger a re-read, and on SQLite a poll notices another
 * process's promotion, rollback, pin or retirement. Listeners are called once per actual change
 * of the set (a registered candidate changes nothing that is served).
 */
export async function watchTools(source: WatchSource, options: WatchOptions = {}): Promise<ToolWatch> {
  const listeners = new Set<() => void>();
  const pollIntervalMs = options.pollIntervalMs ?? (source.database.dialect === 'sqlite' ? 1000 : 0);
  let fingerprint = fingerprintOf(await source.registry.list({ kind: 'tool' }));
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  const compare = async (): Promise<void> => {
    const next = fingerprintOf(await source.registry.list({ kind: 'tool' }));
    if (next === fingerprint || stopped) return;
    fingerprint = next;
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (error) {
        options.onError?.(error);
      }
    }
  };

  // One re-read at a time; a trigger during a read schedules exactly one more.
  const check = (): Promise<void> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await compare().catch((error: unknown) => options.onError?.(error));
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const unsubscribe = source.registry.on('change', () => void check());
  const timer = pollIntervalMs > 0 ? setInterval(() => void check(), pollIntervalMs) : undefined;
  timer?.unref();

  return {
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    check,
    stop() {
      stopped = true;
      unsubscribe();
      if (timer !== undefined) clearInterval(timer);
      listeners.clear();
    },
  };
}
