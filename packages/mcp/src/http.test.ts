import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Toolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLIENT_INFO, describeMcpTransport, textOf } from './mcp-client.suite.js';
import { serveToolwright, type ServingMcp } from './serve.js';
import { freshDatabase, sqliteTestBackend, testBackends } from './test-support/backends.js';
import { makeToolDatabase, openToolwright } from './test-support/fixture.js';

// A real HTTP server on loopback (this process), driven by the SDK's Streamable HTTP client.
// Changes come from a second database handle, which hears nothing through this process's
// in-memory event bus: on SQLite the poll notices them, on PostgreSQL LISTEN/NOTIFY.
const TOKEN = 'test-token-0123456789abcdef';

function httpClient(url: string, token: string | undefined): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(url), token === undefined ? {} : { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
}

describeMcpTransport('Streamable HTTP', testBackends('http'), async (at, client) => {
  const toolwright = await openToolwright(at);
  const serving = await serveToolwright(toolwright, { http: { port: 0, token: TOKEN }, ...(at.url.startsWith('sqlite:') ? { pollIntervalMs: 100 } : {}) });
  await client.connect(httpClient(serving.http?.url ?? '', TOKEN));
  let closed: Promise<void> | undefined;
  return {
    client,
    close: () =>
      (closed ??= (async () => {
        await client.close();
        await serving.close();
        await toolwright.close();
      })()),
  };
});

/** Sends one raw request to the endpoint; answers with the status and body. */
function raw(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text, headers: response.headers }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO } };

describe('Streamable HTTP: access', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let toolwright: Toolwright;
  let serving: ServingMcp;
  let url: string;

  beforeAll(async () => {
    database = await freshDatabase(sqliteTestBackend());
    await makeToolDatabase(database.at);
    toolwright = await openToolwright(database.at);
    serving = await serveToolwright(toolwright, { http: { port: 0, token: TOKEN, allowedOrigins: ['http://localhost:5173'] } });
    url = serving.http?.url ?? '';
  });

  afterAll(async () => {
    await serving?.close();
    await toolwright?.close();
    await database?.cleanup();
  });

  test('binds 127.0.0.1 by default and serves /mcp', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  test('refuses a request without the bearer token, or with a wrong one (401), before any session exists', async () => {
    const none = await raw(url, {}, INITIALIZE);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(JSON.parse(none.body)).toMatchObject({ error: { message: expect.stringMatching(/^Unauthorized: send "Authorization: Bearer <token>"/) } });
    expect((await raw(url, { authorization: 'Bearer not-the-token-at-all' }, INITIALIZE)).status).toBe(401);
    expect((await raw(url, { authorization: TOKEN }, INITIALIZE)).status).toBe(401);
    expect(serving.http?.sessions).toBe(0);
    await expect(new Client(CLIENT_INFO).connect(httpClient(url, undefined))).rejects.toThrow(/401|Unauthorized/);
    await expect(new Client(CLIENT_INFO).connect(httpClient(url, 'wrong-token-0123456789'))).rejects.toThrow(/401|Unauthorized/);
  });

  test('refuses a foreign Host (DNS rebinding) and a browser Origin that is not allowed (403)', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await raw(url, { ...auth, host: 'attacker.example:80' }, INITIALIZE)).status).toBe(403);
    const origin = await raw(url, { ...auth, origin: 'https://attacker.example' }, INITIALIZE);
    expect(origin.status).toBe(403);
    expect((JSON.parse(origin.body) as { error: { message: string } }).error.message).toMatch(/^Origin "https:\/\/attacker.example" is not allowed/);
    expect((await raw(url, { ...auth, origin: 'http://localhost:5173' }, INITIALIZE)).status).toBe(200);
  });

  test('refuses a request with an unknown session, and a first request that is not initialize', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await raw(url, { ...auth, 'mcp-session-id': 'no-such-session' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' })).status).toBe(404);
    expect((await raw(url, auth, { jsonrpc: '2.0', id: 2, method: 'tools/list' })).status).toBe(400);
  });

  test('a session whose client went away is closed once idle; a listening one stays', async () => {
    const idle = await serveToolwright(toolwright, { http: { port: 0, token: TOKEN, sessionIdleMs: 1000 } });
    try {
      const url = idle.http?.url ?? '';
      const gone = new Client(CLIENT_INFO);
      await gone.connect(httpClient(url, TOKEN));
      const listening = new Client(CLIENT_INFO);
      await listening.connect(httpClient(url, TOKEN));
      await listening.listTools();
      await gone.close();
      while ((idle.http?.sessions ?? 0) > 1) await new Promise((resolve) => setTimeout(resolve, 10));
      // The listening client's GET stream is open: its session was not swept and still answers.
      expect((await listening.listTools()).tools.length).toBeGreaterThan(0);
      await listening.close();
    } finally {
      await idle.close();
    }
  });

  test('a rewrite and a rollback in this process reach every open session as list_changed; the listing follows the active version', async () => {
    const clients = [new Client(CLIENT_INFO), new Client(CLIENT_INFO)];
    let waiting: (() => void)[] = [];
    for (const client of clients) {
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => waiting.shift()?.());
      await client.connect(httpClient(url, TOKEN));
    }
    const both = (): Promise<void[]> => Promise.all(clients.map(() => new Promise<void>((resolve) => waiting.push(resolve))));
    const versionOf = async (): Promise<unknown> => (await clients[0]!.listTools()).tools.find((tool) => tool.name === 'divide')?._meta?.['toolwright/version'];

    const v1 = await toolwright.registry.active('divide');
    const rewritten = both();
    const rewrite = await toolwright.gate.propose(
      { kind: 'rewrite-tool', origin: 'person', name: 'divide', fromVersion: 1, spec: v1!.spec!, source: v1!.source.replace('cannot divide by zero', 'b must not be 0') },
      { by: 'ada', reason: 'clearer message' },
    );
    expect(rewrite.status).toBe('applied');
    await rewritten;
    expect(await versionOf()).toBe(2);
    expect(textOf(await clients[1]!.callTool({ name: 'divide', arguments: { a: 1, b: 0 } }))).toMatch(/b must not be 0/);

    waiting = [];
    const rolledBack = both();
    const rollback = await toolwright.gate.propose({ kind: 'rollback', origin: 'person', name: 'divide', fromVersion: 2, toVersion: 1 }, { by: 'ada', reason: 'back' });
    expect(rollback.status).toBe('applied');
    await rolledBack;
    expect(await versionOf()).toBe(1);
    expect(serving.http?.sessions).toBeGreaterThanOrEqual(2);
    for (const client of clients) await client.close();
  });
});
