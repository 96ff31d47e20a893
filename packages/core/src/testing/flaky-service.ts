import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonValue } from '../json.js';

/** A quote request, as the schedule sees it. */
export interface FlakyServiceRequest {
  /** Path and query, e.g. `/quote?key=ams`. */
  readonly path: string;
  /** The `key` query parameter; `''` when there is none. */
  readonly key: string;
  /** How many quote requests for this key the service has received, this one included: 1 for the first. */
  readonly attempt: number;
}

/** What the service does with one quote request. */
export interface FlakyServiceAnswer {
  /** HTTP status. A 2xx answers the quote, `{ key, price }`; any other status answers `{ error }`. */
  readonly status: number;
  /** Wait this long before answering: a slow or hanging service. `close()` cancels the wait. */
  readonly delayMs?: number;
  /** Extra response headers, e.g. `{ 'retry-after': '0' }` with a 429. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Decides the answer to a quote request. `index` counts quote requests over all keys, from 0
 * (as `startChatServer`'s handler does); `request.attempt` counts them per key, from 1. When the
 * schedule throws, the service answers 500.
 */
export type FlakyServiceSchedule = (request: FlakyServiceRequest, index: number) => FlakyServiceAnswer;

/** Options of {@link startFlakyService}. */
export interface FlakyServiceOptions {
  /** Default: every request answers 200 at once (a healthy service). */
  readonly schedule?: FlakyServiceSchedule;
}

/** A running flaky service. */
export interface FlakyService {
  /** `http://127.0.0.1:<port>`: the origin to grant a tool's `fetch` capability. */
  readonly origin: string;
  /** Every request received (unknown paths included), as path and query, in arrival order. Grows as requests arrive. */
  readonly requests: readonly string[];
  /** Cancels answers still waiting on `delayMs`, drops every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * The price the flaky service quotes for a key: deterministic and with cents, so a test can
 * compute the expected output of a tool, and different keys (anagrams too) get different prices.
 */
export function flakyServicePrice(key: string): number {
  let hash = 0;
  for (const character of key) hash = (hash * 31 + character.charCodeAt(0)) % 100_000;
  return hash / 100;
}

/**
 * Starts a quote service on 127.0.0.1 (a free port) that degrades on demand, for tests of tools
 * that call a network service and of the rewrites that make them resilient. Real HTTP, so a
 * tool's `fetch` (in Node or in the sandbox) is exercised as it is in production.
 *
 * `GET /quote?key=K` answers `{ key, price }` with {@link flakyServicePrice}, unless the
 * schedule says otherwise: another status (429, 503, ...), a delay, extra headers. Every other
 * path answers 404 without consulting the schedule.
 *
 * @example
 * ```ts
 * // Per key: first a 429, then an answer that takes 5 s, then fast answers.
 * const service = await startFlakyService({
 *   schedule: ({ attempt }) => (attempt === 1 ? { status: 429 } : attempt === 2 ? { status: 200, delayMs: 5_000 } : { status: 200 }),
 * });
 * (await fetch(`${service.origin}/quote?key=ams`)).status; // 429
 * await fetch(`${service.origin}/quote?key=ams`, { signal: AbortSignal.timeout(100) }); // rejects: too slow
 * await (await fetch(`${service.origin}/quote?key=ams`)).json(); // { key: 'ams', price: flakyServicePrice('ams') }
 * service.requests; // ['/quote?key=ams', '/quote?key=ams', '/quote?key=ams']
 * await service.close();
 *
 * // Over all keys: every other request is refused, starting with the first.
 * await startFlakyService({ schedule: (_request, index) => (index % 2 === 0 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 }) });
 * ```
 */
export async function startFlakyService(options: FlakyServiceOptions = {}): Promise<FlakyService> {
  const schedule = options.schedule ?? (() => ({ status: 200 }));
  const requests: string[] = [];
  const attempts = new Map<string, number>();
  let quoteRequests = 0;
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    // A client that gives up on a slow answer resets its socket: that is expected here, not an error.
    incoming.on('error', () => undefined);
    response.on('error', () => undefined);
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    const path = `${url.pathname}${url.search}`;
    requests.push(path);
    if (url.pathname !== '/quote') {
      reply(response, { status: 404 }, { error: `no such path: ${url.pathname} (the flaky service answers GET /quote?key=K)` });
      return;
    }
    const key = url.searchParams.get('key') ?? '';
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const index = quoteRequests;
    quoteRequests += 1;
    let answer: FlakyServiceAnswer;
    try {
      answer = schedule({ path, key, attempt }, index);
    } catch (error) {
      reply(response, { status: 500 }, { error: `the schedule threw: ${String(error)}` });
      return;
    }
    const body: JsonValue = answer.status >= 200 && answer.status < 300 ? { key, price: flakyServicePrice(key) } : { error: `HTTP ${answer.status} on schedule` };
    if (answer.delayMs === undefined || answer.delayMs <= 0) {
      reply(response, answer, body);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      reply(response, answer, body);
    }, answer.delayMs);
    timers.add(timer);
    // A client that stopped waiting needs no answer; don't keep its timer alive.
    response.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  });
  // Clients must not reuse an idle connection (Node sends `keep-alive: timeout=0`): a connection
  // the server drops under a client's next request would fail it in a way no schedule asked for.
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reply(response: ServerResponse, answer: FlakyServiceAnswer, body: JsonValue): void {
  if (response.destroyed) return;
  response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  response.end(JSON.stringify(body));
}
