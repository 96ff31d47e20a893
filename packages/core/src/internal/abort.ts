import { ModelError } from '../errors.js';

/** The error a model throws when its request is aborted. */
export function abortedError(signal: AbortSignal | undefined): ModelError {
  return new ModelError('MODEL_ABORTED', 'The model request was aborted by its AbortSignal.', { cause: signal?.reason });
}

/** Throws `MODEL_ABORTED` when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

/** Waits `ms`; rejects with `MODEL_ABORTED` as soon as the signal aborts. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
