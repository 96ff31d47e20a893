import type { ConsoleSource } from './data.js';
import { toolNames } from './data.js';

/** What changed, as the console's event stream (`/api/events`) names it. */
export type LiveEventType = 'registry' | 'calls' | 'audit' | 'approvals' | 'kill-switch';

/** One event of {@link LiveFeed}. */
export interface LiveEvent {
  readonly type: LiveEventType;
  readonly at: number;
  /** What the registry event said, or the tools with new calls. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** A running watch over the database, sending {@link LiveEvent}s to its listeners. */
export interface LiveFeed {
  /** Subscribes; the first listener starts the polling, the last one to leave stops it. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
  /** Compares the database with what was last seen now, and sends what changed. */
  check(): Promise<void>;
  stop(): void;
}

interface Snapshot {
  readonly registry: string;
  readonly calls: ReadonlyMap<string, number>;
  readonly audit: string;
  readonly approvals: string;
  readonly killSwitch: string;
}

async function snapshotOf(source: ConsoleSource): Promise<Snapshot> {
  const versions = [];
  for (const status of ['active', 'candidate', 'retired', 'rejected'] as const) versions.push(...(await source.registry.list({ kind: 'tool', status })));
  const registry = versions
    .map((version) => `${version.name}@${version.version}:${version.status}:${version.pinned ? 'p' : ''}`)
    .sort()
    .join('|');
  const calls = new Map<string, number>();
  for (const name of await toolNames(source)) {
    const last = await source.memory.summary(name, { lastN: 1 });
    calls.set(name, last.lastAt ?? 0);
  }
  const [audit] = await source.memory.auditLog({ limit: 1 });
  const approvals = (await source.policy.approvals.list({ status: 'proposed' })).map((approval) => approval.id).sort().join('|');
  const state = await source.policy.killSwitch.state();
  return { registry, calls, audit: audit?.id ?? '', approvals, killSwitch: `${state.engaged}:${state.at ?? ''}` };
}

/**
 * Watches what the console shows: the registry's change events (this process; on PostgreSQL
 * every instance) arrive at once, and a poll (every `pollIntervalMs` while anyone listens)
 * notices what other processes did on the database — new calls, audit entries, approval
 * requests, the kill switch, and registry changes on SQLite, which sends no event across processes.
 */
export function liveFeed(source: ConsoleSource, options: { readonly pollIntervalMs: number; readonly onError?: (error: unknown) => void }): LiveFeed {
  const listeners = new Set<(event: LiveEvent) => void>();
  let last: Snapshot | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const emit = (event: LiveEvent): void => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        options.onError?.(error);
      }
    }
  };

  const compare = async (): Promise<void> => {
    const next = await snapshotOf(source);
    const previous = last;
    last = next;
    if (previous === undefined || stopped) return;
    const at = Date.now();
    if (next.registry !== previous.registry) emit({ type: 'registry', at });
    const called = [...next.calls].filter(([name, lastAt]) => lastAt !== (previous.calls.get(name) ?? 0)).map(([name]) => name);
    if (called.length > 0) emit({ type: 'calls', at, detail: { tools: called } });
    if (next.audit !== previous.audit) emit({ type: 'audit', at });
    if (next.approvals !== previous.approvals) emit({ type: 'approvals', at });
    if (next.killSwitch !== previous.killSwitch) emit({ type: 'kill-switch', at });
  };

  const check = (): Promise<void> => {
    running ??= compare()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const unsubscribe = source.registry.on('change', (event) => {
    emit({ type: 'registry', at: Date.now(), detail: { ...event } });
    void check();
  });

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (timer === undefined && options.pollIntervalMs > 0 && !stopped) {
        void check();
        timer = setInterval(() => void check(), options.pollIntervalMs);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
          last = undefined;
        }
      };
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
