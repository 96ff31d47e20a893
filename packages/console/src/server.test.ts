import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlakyService } from '@toolwright/core/testing';
import { createToolwright, type Toolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleSource, rolloutOf, toolSeries } from './data.js';
import { type ConsoleServer, CSRF_HEADER, listExperiments, SESSION_COOKIE, startConsole } from './index.js';
import { makeDemoDatabase, startQuoteService } from './test-support/fixture.js';

let directory: string;
let db: string;
let service: FlakyService;
let toolwright: Toolwright;
let server: ConsoleServer;
let cookie: string;
let csrf: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'toolwright-console-http-'));
  service = await startQuoteService();
  db = await makeDemoDatabase(directory, service);
  toolwright = await createToolwright({ database: db, network: { allow: [service.origin] }, improve: false, reflect: false });
  server = await startConsole(toolwright, { port: 0, person: 'ada', pollIntervalMs: 50 });
  const login = await fetch(server.url, { redirect: 'manual' });
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await (await fetch(`${server.origin}/`, { headers: { cookie } })).text();
  csrf = /name="toolwright-csrf" content="([^"]+)"/.exec(page)?.[1] ?? '';
});
afterAll(async () => {
  await server?.close();
  await toolwright?.close();
  await service?.close();
  rmSync(directory, { recursive: true, force: true });
});

const api = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${server.origin}${path}`, { ...init, headers: { cookie, ...(init.headers as Record<string, string>) } });
const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', [CSRF_HEADER]: csrf, origin: server.origin, ...headers } });

describe('the console server', () => {
  it('binds 127.0.0.1 and trades the token URL for an HttpOnly, SameSite=Strict cookie, dropping the token from the address', async () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const login = await fetch(server.url, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    expect(login.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; HttpOnly; SameSite=Strict; Path=/$`));
    expect(cookie).not.toContain(server.token);
    expect(csrf.length).toBeGreaterThan(20);
  });

  it('refuses a request without the token, with a wrong token, or with a wrong cookie', async () => {
    for (const response of [
      await fetch(`${server.origin}/`),
      await fetch(`${server.origin}/api/tools`),
      await fetch(`${server.origin}/api/events`),
      await fetch(`${server.origin}/?token=not-the-token-at-all`, { redirect: 'manual' }),
      await fetch(`${server.origin}/api/tools`, { headers: { cookie: `${SESSION_COOKIE}=forged` } }),
    ]) {
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('CONSOLE_UNAUTHORIZED');
    }
    expect((await fetch(`${server.origin}/api/tools`, { headers: { authorization: `Bearer ${server.token}` } })).status).toBe(200);
  });

  it('refuses a Host it does not serve (DNS rebinding) and a foreign Origin', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/api/tools', headers: { host: `evil.example:${server.port}`, cookie } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    expect((await api('/api/tools', { headers: { origin: 'http://evil.example' } })).status).toBe(403);
  });

  it('refuses an action without the CSRF header, from another site, or not as JSON, and changes nothing', async () => {
    const attempts = [
      await post('/api/kill-switch', { engaged: true }, { [CSRF_HEADER]: '' }),
      await post('/api/kill-switch', { engaged: true }, { [CSRF_HEADER]: 'forged' }),
      await post('/api/kill-switch', { engaged: true }, { 'sec-fetch-site': 'cross-site' }),
      await post('/api/kill-switch', { engaged: true }, { origin: 'http://evil.example' }),
      await post('/api/kill-switch', { engaged: true }, { origin: 'null' }),
      await post('/api/kill-switch', { engaged: true }, { 'content-type': 'text/plain' }),
      await api('/api/kill-switch', { method: 'GET' }).then(async (response) => (response.ok ? await api('/api/kill-switch', { method: 'PUT' }) : response)),
    ];
    expect(attempts.map((response) => response.status)).toEqual([403, 403, 403, 403, 403, 415, 405]);
    expect((await toolwright.policy.killSwitch.state()).engaged).toBe(false);
  });

  it("plots a tool's series from one memory.series query, with the figures and scores a summary per bucket gives", async () => {
    // The same data through both routes: memory's `series`, and (for a memory without it) one `summary` per bucket and version.
    const through = (withSeries: boolean) => {
      const calls = { summary: 0, series: 0 };
      const memory = {
        summary: (tool: string, options: Parameters<Toolwright['memory']['summary']>[1]) => {
          calls.summary += 1;
          return toolwright.memory.summary(tool, options);
        },
        ...(withSeries
          ? {
              series: (tool: string, options: Parameters<Toolwright['memory']['series']>[1]) => {
                calls.series += 1;
                return toolwright.memory.series(tool, options);
              },
            }
          : {}),
      };
      return { source: { registry: toolwright.registry, evaluator: toolwright.evaluator, memory } as unknown as ConsoleSource, calls };
    };
    for (const name of ['get_quote', 'get_rate', 'sum_fares_price']) {
      for (const buckets of [1, 7, 200]) {
        const fast = through(true);
        const slow = through(false);
        const bySeries = await toolSeries(fast.source, name, buckets);
        const bySummaries = await toolSeries(slow.source, name, buckets);
        expect(bySeries, `${name}, ${buckets} buckets`).toEqual(bySummaries);
        if (bySeries.from === null) continue;
        // One span summary and one series, against one summary per bucket and version.
        expect(fast.calls).toEqual({ summary: 1, series: 1 });
        expect(slow.calls.summary).toBe(1 + buckets * bySeries.versions.length);
        const plotted = bySeries.versions.flatMap((version) => version.points).filter((point) => point.calls > 0);
        expect(plotted.length).toBeGreaterThan(0);
        for (const point of plotted) expect(point.score).toEqual(expect.any(Number));
      }
    }
    // The fixture has calls spread over more than one bucket of more than one figure, so the comparison means something.
    const quote = await toolSeries(through(true).source, 'get_quote', 200);
    expect(quote.versions.flatMap((version) => version.points).filter((point) => point.calls > 0).length).toBeGreaterThan(1);
  });

  it('lists the tools with their figures, and answers a tool\'s series, history and diff', async () => {
    const { tools } = (await (await api('/api/tools')).json()) as { tools: { name: string; activeVersion: number | null; candidates: number[]; figures: { calls: number } }[] };
    expect(tools.map((tool) => tool.name)).toEqual(['get_quote', 'get_rate', 'sum_fares_price']);
    const quote = tools.find((tool) => tool.name === 'get_quote');
    expect(quote).toMatchObject({ activeVersion: 1, candidates: [2] });
    expect(quote?.figures.calls).toBeGreaterThanOrEqual(6);

    const series = (await (await api('/api/tools/get_quote/series?buckets=10')).json()) as { versions: { version: number; points: { calls: number; successRate: number | null }[] }[] };
    const v1 = series.versions.find((version) => version.version === 1);
    expect(v1?.points).toHaveLength(10);
    expect(v1?.points.reduce((sum, point) => sum + point.calls, 0)).toBe(quote?.figures.calls);

    const detail = (await (await api('/api/tools/get_quote')).json()) as { versions: { version: number; author: { id: string }; reason: string }[] };
    expect(detail.versions.map((version) => version.version)).toEqual([1, 2]);
    expect(detail.versions[0]).toMatchObject({ author: { id: 'integrator' }, reason: "yesterday's tool: no retry, no timeout" });

    const diff = (await (await api('/api/tools/get_quote/diff?from=1&to=2')).json()) as { unified: string; rows: { kind: string; right?: { text: string } }[] };
    expect(diff.unified).toMatch(/retry/i);
    expect(diff.rows.some((row) => row.kind === 'change' && /retry/i.test(row.right?.text ?? ''))).toBe(true);

    expect((await api('/api/tools/no_such_tool')).status).toBe(404);
    expect((await api('/api/tools/get_quote/diff?from=1&to=9')).status).toBe(404);
    expect((await api('/api/tools/get_quote/series?buckets=0')).status).toBe(400);
  });

  it('shows experiments when the umbrella carries a rollout, and says so when it does not', async () => {
    const body = (await (await api('/api/experiments')).json()) as { available: boolean; experiments: unknown[] };
    expect(body.available).toBe(rolloutOf(toolwright) !== undefined);
    expect(body.experiments).toEqual([]);
    expect(await listExperiments({})).toEqual({ available: false, experiments: [] });
  });

  it('streams a registry event, live, when a version changes', async () => {
    const response = await api('/api/events');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const pin = toolwright.gate.propose({ kind: 'pin', origin: 'person', name: 'sum_fares_price' }, { by: 'ada', reason: 'a test pins it' });
    while (!text.includes('event: registry')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await pin;
    await reader.cancel();
    expect(text).toContain('event: registry');
    expect(text).toContain('"pinned"');
  });

  it('streams what another process does on the database (the poll): its calls and its kill switch', async () => {
    const response = await api('/api/events');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const read = async (until: string): Promise<void> => {
      while (!text.includes(until)) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value);
      }
    };
    await read(': connected');
    // Another instance on the same SQLite file: its changes send no event to this process.
    const other = await createToolwright({ database: db, improve: false, reflect: false });
    try {
      expect((await other.call('sum_fares_price', { fares: [{ price: 4 }] }, { taskId: 'other-process' })).ok).toBe(true);
      await other.memory.flush();
      await read('event: calls');
      expect(text).toContain('"sum_fares_price"');
      await other.policy.killSwitch.engage({ by: 'grace', reason: 'from another process' });
      await read('event: kill-switch');
      await other.policy.killSwitch.release({ by: 'grace', reason: 'done' });
    } finally {
      await reader.cancel();
      await other.close();
    }
  });
});
