import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the service does with one request: answer with this status after this delay. */
export interface Behaviour {
  readonly status: number;
  readonly delayMs?: number;
}

/** A real HTTP service on 127.0.0.1 whose answers follow a schedule (test support, not exported). */
export interface FlakyService {
  readonly origin: string;
  /** Every request so far: path and query, in arrival order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/**
 * Starts the service. `GET /quote?key=K` answers `{ key, price }` (a price derived from the
 * key) unless `schedule(key, attempt)` says otherwise; `attempt` counts the requests for that
 * key, from 1. Slow answers are delayed with a timer that `close()` cancels.
 */
export async function startFlakyService(schedule: (key: string, attempt: number) => Behaviour): Promise<FlakyService> {
  const attempts = new Map<string, number>();
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    const key = url.searchParams.get('key') ?? '';
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const behaviour = url.pathname === '/quote' ? schedule(key, attempt) : { status: 404 };
    const answer = (): void => {
      const body = behaviour.status === 200 ? JSON.stringify({ key, price: priceOf(key) }) : JSON.stringify({ error: `status ${behaviour.status}` });
      response.writeHead(behaviour.status, { 'content-type': 'application/json' });
      response.end(body);
    };
    if (behaviour.delayMs === undefined || behaviour.delayMs <= 0) answer();
    else {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, behaviour.delayMs);
      timers.add(timer);
    }
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The price the service answers for a key: deterministic, with cents. */
export function priceOf(key: string): number {
  let hash = 0;
  for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) % 100_000;
  return Math.round(hash) / 100;
}
