import type { CompiledTool } from '@toolwright/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type IsolatedSandbox } from '../index.js';
import { startTestServer, type TestServer } from '../test-support/http-server.js';
import { compileCanary, expectHostUnaffected, outcome } from './probe-harness.js';

/**
 * Probes against the fetch capability: deny by default (per sandbox and per tool), denial
 * that the guest cannot swallow, redirects and URL tricks, limits on size, count and time,
 * and climbs from everything fetch hands the guest (functions, responses, errors).
 */
describe('escape probes: capabilities are granted, never assumed', () => {
  let allowed: TestServer;
  let other: TestServer;
  /** An origin on 127.0.0.1 where nothing listens (a server's port, after it closed). */
  let closedOrigin: string;
  let sandbox: IsolatedSandbox;
  let canary: CompiledTool;
  let tools = 0;

  const fetchTool = async (source: string, origins: string[] = [allowed.origin]): Promise<CompiledTool> => {
    tools += 1;
    return sandbox.compile({ name: `fetch_probe_${tools}`, source, capabilities: origins.length > 0 ? [{ kind: 'fetch', origins }] : [] });
  };

  beforeAll(async () => {
    other = await startTestServer((_request, response) => response.end('other server'));
    const closed = await startTestServer((_request, response) => response.end());
    closedOrigin = closed.origin;
    await closed.close();
    allowed = await startTestServer((request, response) => {
      const url = new URL(request.url, 'http://127.0.0.1');
      switch (url.pathname) {
        case '/json':
          response.setHeader('content-type', 'application/json');
          response.setHeader('__proto__', 'header-pollution');
          response.end(JSON.stringify({ fares: [229.92, 360.67], method: request.method, body: request.body, probe: request.headers['x-probe'] ?? null }));
          return;
        case '/redirect-out':
          response.writeHead(302, { location: `${other.origin}/` }).end();
          return;
        case '/redirect-in':
          response.writeHead(302, { location: '/json' }).end();
          return;
        case '/big':
          response.end('x'.repeat(5_000));
          return;
        case '/slow':
          return; // never answers
        default:
          response.writeHead(404).end('not found');
      }
    });
    sandbox = createSandbox({
      // Generous: a loopback round trip through the worker can take a while on a loaded machine.
      // The deadline test below sets its own, short one.
      timeoutMs: 10_000,
      capabilities: { fetch: { allow: [allowed.origin, closedOrigin, 'http://127.0.0.1:9'], maxResponseBytes: 1_000, maxRequests: 3 } },
    });
    canary = await compileCanary(sandbox);
  });
  afterAll(async () => {
    await sandbox?.dispose();
    await allowed?.close();
    await other?.close();
  });

  it('a granted fetch works: status, ok, headers, text() and json(), method and body', async () => {
    const tool = await fetchTool(`export default async ({ url }) => {
      const response = await fetch(url, { method: 'POST', headers: { 'x-probe': 'yes' }, body: JSON.stringify({ q: 1 }) });
      const data = await response.json();
      return { status: response.status, ok: response.ok, type: response.headers['content-type'], data, text: (await response.text()).length > 10 };
    };`);
    const result = await sandbox.run(tool, { url: `${allowed.origin}/json` });
    expect(result).toMatchObject({
      ok: true,
      value: { status: 200, ok: true, type: 'application/json', data: { fares: [229.92, 360.67], method: 'POST', body: '{"q":1}', probe: 'yes' }, text: true },
    });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a tool that requested no fetch is denied, even to an origin the sandbox grants, even if it catches the error', async () => {
    const tool = await fetchTool(`export default async ({ url }) => {
      try { await fetch(url); } catch (error) { console.log('caught: ' + error.message); }
      return 'pretending nothing happened';
    };`, []);
    const seen = allowed.requests.length;
    const result = await sandbox.run(tool, { url: `${allowed.origin}/json` });
    expect(result).toMatchObject({ ok: false, error: { code: 'CAPABILITY_DENIED', message: expect.stringContaining('granted no fetch') } });
    expect(allowed.requests.length).toBe(seen);
    await expectHostUnaffected(sandbox, canary);
  });

  it('an origin outside the tool’s request is denied, and the request never leaves', async () => {
    const tool = await fetchTool('export default async ({ url }) => (await fetch(url)).text();');
    const seen = other.requests.length;
    expect(await sandbox.run(tool, { url: `${other.origin}/` })).toMatchObject({ ok: false, error: { code: 'CAPABILITY_DENIED' } });
    expect(other.requests.length).toBe(seen);
    await expectHostUnaffected(sandbox, canary);
  });

  it.each([
    ['a file URL', 'file:///etc/passwd'],
    ['a data URL', 'data:text/plain,hello'],
    ['userinfo that hides the real host', 'http://127.0.0.1:1@localhost:9/'],
    ['another port of the same host', 'http://127.0.0.1:8/'],
    ['https on the granted host', 'https://127.0.0.1:9/'],
  ])('%s is denied', async (_label, url) => {
    const tool = await fetchTool('export default async ({ url }) => { await fetch(url); return "fetched"; };');
    expect(outcome(await sandbox.run(tool, { url }))).toBe('CAPABILITY_DENIED');
    await expectHostUnaffected(sandbox, canary);
  });

  it('a redirect to an origin outside the grant is denied; one inside is followed', async () => {
    const tool = await fetchTool('export default async ({ url }) => { const response = await fetch(url); return { redirected: response.redirected, status: response.status }; };');
    const seen = other.requests.length;
    expect(await sandbox.run(tool, { url: `${allowed.origin}/redirect-out` })).toMatchObject({ ok: false, error: { code: 'CAPABILITY_DENIED' } });
    expect(other.requests.length).toBe(seen);
    expect(await sandbox.run(tool, { url: `${allowed.origin}/redirect-in` })).toMatchObject({ ok: true, value: { redirected: true, status: 200 } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a response over the size cap is an error in the guest', async () => {
    const tool = await fetchTool('export default async ({ url }) => (await fetch(url)).text();');
    expect(await sandbox.run(tool, { url: `${allowed.origin}/big` })).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringContaining('1000-byte limit') } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a server that never answers ends the run as TIMEOUT: capability calls count against the deadline', async () => {
    const tool = await fetchTool('export default async ({ url }) => (await fetch(url)).text();');
    expect(await sandbox.run(tool, { url: `${allowed.origin}/slow` }, { timeoutMs: 200 })).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a run may make only so many requests', async () => {
    const tool = await fetchTool(`export default async ({ url }) => {
      const outcomes = [];
      for (let i = 0; i < 5; i++) { try { await fetch(url); outcomes.push('ok'); } catch (error) { outcomes.push(error.message.includes('the most one run may make') ? 'limited' : error.message); } }
      return outcomes;
    };`);
    expect(await sandbox.run(tool, { url: `${allowed.origin}/json` })).toMatchObject({ ok: true, value: ['ok', 'ok', 'ok', 'limited', 'limited'] });
    await expectHostUnaffected(sandbox, canary);
  });

  it('fetch, its responses, their methods and headers climb to the guest realm only', async () => {
    const tool = await fetchTool(`export default async ({ url }) => {
      const C = 'constr' + 'uctor';
      const response = await fetch(url);
      const values = [fetch, response, response.text, response.json, response.headers, await response.json()];
      return values.map((value) => {
        let attempt;
        try { value[C][C]('return process')(); attempt = 'compiled'; } catch (error) { attempt = error.name; }
        return attempt;
      }).concat([Object.getPrototypeOf(response.headers) === Object.prototype, Object.isFrozen(response), response.headers['__pro' + 'to__']]);
    };`);
    expect(await sandbox.run(tool, { url: `${allowed.origin}/json` })).toMatchObject({
      ok: true,
      value: ['EvalError', 'EvalError', 'EvalError', 'EvalError', 'EvalError', 'EvalError', true, true, 'header-pollution'],
    });
    await expectHostUnaffected(sandbox, canary);
  });

  it('errors fetch hands the guest are guest errors and carry no host detail', async () => {
    const tool = await fetchTool(`export default async ({ url }) => {
      const C = 'constr' + 'uctor';
      try { await fetch(url); return 'connected?'; } catch (error) {
        let attempt;
        try { error[C][C]('return process')(); attempt = 'compiled'; } catch (inner) { attempt = inner.name; }
        return { guest: Object.getPrototypeOf(error) === Error.prototype, attempt, message: error.message, stack: error.stack };
      }
    };`, [closedOrigin]);
    const result = await sandbox.run(tool, { url: `${closedOrigin}/refused` });
    expect(result).toMatchObject({ ok: true, value: { guest: true, attempt: 'EvalError', message: `fetch to "${closedOrigin}/refused" failed: ECONNREFUSED.` } });
    const stack = result.ok ? String((result.value as { stack: string }).stack) : '';
    expect(stack).not.toMatch(/\/work\/|node_modules|node:internal|undici|worker\.js/);
    await expectHostUnaffected(sandbox, canary);
  });

  it('a denial message the guest reads and logs names no host file', async () => {
    const tool = await fetchTool(`export default async ({ url }) => {
      try { await fetch(url); } catch (error) { console.log(error.stack); }
      return 'done';
    };`);
    const result = await sandbox.run(tool, { url: `${other.origin}/` });
    expect(result).toMatchObject({ ok: false, error: { code: 'CAPABILITY_DENIED' } });
    expect(result.logs.join('\n')).toContain('is not allowed');
    expect(result.logs.join('\n')).not.toMatch(/\/work\/|node_modules|node:internal|worker\.js/);
    await expectHostUnaffected(sandbox, canary);
  });
});
