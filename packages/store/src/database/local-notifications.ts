import type { NotificationListener } from './database.js';

/**
 * In-process publish/subscribe with the delivery semantics of PostgreSQL's LISTEN/NOTIFY:
 * asynchronous, to every listener of the channel, the sender's own included. A throwing
 * listener does not stop the others; its error becomes a process warning.
 */
export class LocalNotifications {
  readonly #listeners = new Map<string, Set<NotificationListener>>();

  add(channel: string, listener: NotificationListener): () => void {
    let set = this.#listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(channel, set);
    }
    // Wrap, so the same function subscribed twice is two subscriptions.
    const entry: NotificationListener = (payload) => listener(payload);
    set.add(entry);
    return () => {
      const current = this.#listeners.get(channel);
      current?.delete(entry);
      if (current?.size === 0) this.#listeners.delete(channel);
    };
  }

  channels(): string[] {
    return [...this.#listeners.keys()];
  }

  has(channel: string): boolean {
    return this.#listeners.has(channel);
  }

  /** Delivers on a later turn of the event loop, like a notification from the server. */
  deliver(channel: string, payload: string): void {
    const set = this.#listeners.get(channel);
    if (set === undefined) return;
    const listeners = [...set];
    setImmediate(() => {
      for (const listener of listeners) {
        try {
          listener(payload);
        } catch (error) {
          process.emitWarning(`A listener of database channel "${channel}" threw: ${String(error)}`, 'ToolwrightWarning');
        }
      }
    });
  }

  clear(): void {
    this.#listeners.clear();
  }
}
