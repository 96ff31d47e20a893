/** Work that runs off the user's path (captures, improvement cycles), kept so `close()` can wait for it. */
export interface BackgroundWork {
  /** Keeps `work` until it settles; its failure never reaches anyone. */
  track(work: Promise<unknown>): void;
  /** Resolves when everything tracked (including work tracked meanwhile) has settled. */
  idle(): Promise<void>;
  /** How many tracked promises are still pending. */
  readonly pending: number;
}

/** A fresh {@link BackgroundWork}. */
export function createBackgroundWork(): BackgroundWork {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work) {
      const tracked: Promise<unknown> = work.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    get pending() {
      return pending.size;
    },
  };
}
