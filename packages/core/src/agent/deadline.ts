/** Why a deadline's signal aborted: the time ran out (not the caller's own abort). */
export class DeadlineExpired extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the deadline of ${timeoutMs} ms passed`);
  }
}

/** A deadline: a signal that aborts when the time runs out or its parent aborts. */
export interface Deadline {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** True once the time ran out (false when only the parent aborted). */
  expired(): boolean;
  /**
   * Settles `work` or rejects as soon as the signal aborts, whichever comes first: the deadline
   * holds even for work that ignores its signal.
   */
  race<T>(work: Promise<T>): Promise<T>;
  /** Clears the timer and the parent listener. */
  dispose(): void;
}

/** Starts a deadline of `timeoutMs` under an optional parent signal. */
export function startDeadline(timeoutMs: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const onParentAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DeadlineExpired(timeoutMs));
  }, timeoutMs);
  return {
    signal: controller.signal,
    timeoutMs,
    expired: () => expired,
    race<T>(work: Promise<T>): Promise<T> {
      if (controller.signal.aborted) {
        work.catch(() => undefined);
        return Promise.reject(controller.signal.reason as Error);
      }
      return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => reject(controller.signal.reason as Error);
        controller.signal.addEventListener('abort', onAbort, { once: true });
        work.then(
          (value) => {
            controller.signal.removeEventListener('abort', onAbort);
            resolve(value);
          },
          (error: unknown) => {
            controller.signal.removeEventListener('abort', onAbort);
            reject(error as Error);
          },
        );
      });
    },
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
