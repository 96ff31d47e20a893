import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Currency pairs the demo asks for. */
export const PAIRS = [
  { from: 'EUR', to: 'USD' },
  { from: 'EUR', to: 'GBP' },
  { from: 'EUR', to: 'JPY' },
  { from: 'USD', to: 'CAD' },
  { from: 'GBP', to: 'CHF' },
  { from: 'EUR', to: 'NOK' },
] as const;

const RATES: Readonly<Record<string, number>> = {
  'EUR/USD': 1.0842,
  'EUR/GBP': 0.8571,
  'EUR/JPY': 162.37,
  'USD/CAD': 1.3688,
  'GBP/CHF': 1.1294,
  'EUR/NOK': 11.742,
};

/** What a degraded service does to one request: a 429, a slow answer, or a normal one. */
export type Behaviour = 'ok' | 'rate-limited' | 'slow';

/**
 * A local exchange-rate service on 127.0.0.1. Healthy at first; once degraded it follows a
 * fixed schedule over its requests — [429, 429, ok, slow, 429, ok] — so the demo's numbers are
 * the same on every run.
 */
export interface ExchangeRateService {
  readonly origin: string;
  degrade(slowMs: number): void;
  readonly requests: () => number;
  close(): Promise<void>;
}

const SCHEDULE: readonly Behaviour[] = ['rate-limited', 'rate-limited', 'ok', 'slow', 'rate-limited', 'ok'];

/**
 * The port the demo prefers, so a tool written against the service in one run still reaches it
 * in the next (a tool's origin is part of its source and its capabilities). Busy → any free port.
 */
export const PREFERRED_PORT = 47_811;

export async function startExchangeRateService(preferredPort: number = PREFERRED_PORT): Promise<ExchangeRateService> {
  let requests = 0;
  let degradedAt: number | undefined;
  let slowMs = 0;
  const server = createServer((request, response) => {
    requests += 1;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const pair = `${url.searchParams.get('from') ?? ''}/${url.searchParams.get('to') ?? ''}`;
    const rate = RATES[pair];
    const behaviour: Behaviour = degradedAt === undefined ? 'ok' : (SCHEDULE[(requests - degradedAt) % SCHEDULE.length] ?? 'ok');
    const answer = (): void => {
      if (response.destroyed) return;
      if (rate === undefined) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: `unknown pair ${pair}` }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ pair, rate }));
    };
    if (behaviour === 'rate-limited') {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
      response.end(JSON.stringify({ error: 'too many requests' }));
    } else if (behaviour === 'slow') {
      setTimeout(answer, slowMs).unref();
    } else {
      answer();
    }
  });
  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(preferredPort);
  } catch {
    await listen(0);
  }
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    degrade(ms) {
      degradedAt = requests + 1;
      slowMs = ms;
    },
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The rate the service answers for a pair: the ground truth of scenario B. */
export function rateOf(from: string, to: string): number | undefined {
  return RATES[`${from}/${to}`];
}
