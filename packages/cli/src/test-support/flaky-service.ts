import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A quote service on 127.0.0.1 that degrades on a schedule: every odd-numbered request gets a 429. */
export interface FlakyQuoteService {
  readonly origin: string;
  /** Requests served so far. */
  readonly requests: () => number;
  close(): Promise<void>;
}

/** The price the service quotes for a key: deterministic, so outputs can be golden. */
export function priceOf(key: string): number {
  return [...key].reduce((sum, character) => sum + character.charCodeAt(0), 0) / 100;
}

export async function startFlakyQuoteService(): Promise<FlakyQuoteService> {
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    const key = new URL(request.url ?? '/', 'http://localhost').searchParams.get('key') ?? '';
    if (requests % 2 === 1) {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
      response.end('{"error":"slow down"}');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ key, price: priceOf(key) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
