import { afterEach, describe, expect, it } from 'vitest';
import { type FlakyService, type FlakyServiceOptions, type FlakyServiceRequest, flakyServicePrice, startFlakyService } from './flaky-service.js';

const services: FlakyService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
});

async function start(options?: FlakyServiceOptions): Promise<FlakyService> {
  const service = await startFlakyService(options);
  services.push(service);
  return service;
}

async function quote(service: FlakyService, key: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${service.origin}/quote?key=${encodeURIComponent(key)}`, init);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('startFlakyService', () => {
  it('listens on 127.0.0.1 and, by default, answers every quote at once', async () => {
    const service = await start();
    expect(service.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const key of ['ams', 'ams', 'ber']) {
      const answer = await quote(service, key);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.body).toEqual({ key, price: flakyServicePrice(key) });
    }
    expect(service.requests).toEqual(['/quote?key=ams', '/quote?key=ams', '/quote?key=ber']);
  });

  it('asks the schedule about every quote request: the attempt per key from 1, the index over all keys from 0', async () => {
    const seen: [FlakyServiceRequest, number][] = [];
    const service = await start({
      schedule: (request, index) => {
        seen.push([request, index]);
        return request.attempt === 1 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 };
      },
    });
    const first = await quote(service, 'ams');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('0');
    expect(first.body).toEqual({ error: 'HTTP 429 on schedule' });
    expect((await quote(service, 'ams')).status).toBe(200);
    expect((await quote(service, 'ber')).status).toBe(429);
    expect((await quote(service, 'ams')).body).toEqual({ key: 'ams', price: flakyServicePrice('ams') });
    expect(seen).toEqual([
      [{ path: '/quote?key=ams', key: 'ams', attempt: 1 }, 0],
      [{ path: '/quote?key=ams', key: 'ams', attempt: 2 }, 1],
      [{ path: '/quote?key=ber', key: 'ber', attempt: 1 }, 2],
      [{ path: '/quote?key=ams', key: 'ams', attempt: 3 }, 3],
    ]);
  });

  it('degrades over all keys with the index: every other request refused, starting with the first', async () => {
    const service = await start({ schedule: (_request, index) => (index % 2 === 0 ? { status: 503 } : { status: 200 }) });
    const statuses = [];
    for (const key of ['ams', 'ber', 'cph', 'dub']) statuses.push((await quote(service, key)).status);
    expect(statuses).toEqual([503, 200, 503, 200]);
  });

  it('delays an answer: a client that stops waiting gets nothing, and the service keeps serving', async () => {
    const service = await start({ schedule: ({ attempt }) => (attempt === 1 ? { status: 200, delayMs: 60_000 } : attempt === 2 ? { status: 200, delayMs: 20 } : { status: 200 }) });
    const abandoned = await quote(service, 'lis', { signal: AbortSignal.timeout(100) }).catch((error: unknown) => error);
    expect((abandoned as Error).name).toBe('TimeoutError');
    expect(await quote(service, 'lis')).toMatchObject({ status: 200, body: { key: 'lis', price: flakyServicePrice('lis') } });
    expect((await quote(service, 'lis')).status).toBe(200);
    expect(service.requests).toHaveLength(3);
  });

  it('closes while an answer is still waiting: the client sees the connection drop, and close does not wait for the delay', async () => {
    const service = await startFlakyService({ schedule: () => ({ status: 200, delayMs: 60_000 }) });
    const pending = quote(service, 'osl').catch((error: unknown) => error);
    await expect.poll(() => service.requests.length).toBe(1);
    await service.close();
    const outcome = await pending;
    expect(outcome).toBeInstanceOf(TypeError);
    expect((outcome as TypeError).message).toBe('fetch failed');
  });

  it('answers 404 to any other path without consulting the schedule, and 500 when the schedule throws', async () => {
    const asked: string[] = [];
    const service = await start({
      schedule: ({ key }) => {
        asked.push(key);
        if (key === 'bad') throw new Error('no plan for this key');
        return { status: 200 };
      },
    });
    const missing = await fetch(`${service.origin}/price?key=ams`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no such path: /price (the flaky service answers GET /quote?key=K)' });
    const thrown = await quote(service, 'bad');
    expect(thrown).toMatchObject({ status: 500, body: { error: 'the schedule threw: Error: no plan for this key' } });
    expect((await quote(service, '')).body).toEqual({ key: '', price: 0 });
    expect(asked).toEqual(['bad', '']);
    expect(service.requests).toEqual(['/price?key=ams', '/quote?key=bad', '/quote?key=']);
  });
});

describe('flakyServicePrice', () => {
  it('is deterministic, has at most two decimals, and tells anagrams apart', () => {
    expect(flakyServicePrice('ams')).toBe(flakyServicePrice('ams'));
    expect(flakyServicePrice('ams')).not.toBe(flakyServicePrice('mas'));
    for (const key of ['ams', 'ber', 'cph', 'dub', 'lis', 'osl', 'a-much-longer-key']) {
      const price = flakyServicePrice(key);
      expect(price).toBeGreaterThanOrEqual(0);
      expect(price).toBeLessThan(1_000);
      expect(Math.round(price * 100) / 100).toBe(price);
    }
  });
});
