import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { caught } from '@toolwright/store/testing';
import type { Toolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mcpTaskId } from './call-tool.js';
import { CLIENT_INFO, textOf } from './mcp-client.suite.js';
import { createToolwrightMcp, type ToolwrightMcp } from './mcp-server.js';
import { parsePort, requireToken } from './serve.js';
import { freshDatabase, sqliteTestBackend } from './test-support/backends.js';
import { makeToolDatabase, openToolwright } from './test-support/fixture.js';
import { fingerprintOf } from './tool-catalog.js';

// The server's modes and handshake, driven by the SDK's client over its in-memory transport.
describe('createToolwrightMcp', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let toolwright: Toolwright;
  const servers: ToolwrightMcp[] = [];

  beforeAll(async () => {
    database = await freshDatabase(sqliteTestBackend());
    await makeToolDatabase(database.at);
    toolwright = await openToolwright(database.at);
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    await toolwright?.close();
    await database?.cleanup();
  });

  async function connected(options: Parameters<typeof createToolwrightMcp>[1]): Promise<Client> {
    const mcp = await createToolwrightMcp(toolwright, options);
    servers.push(mcp);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await mcp.connect(serverSide);
    const client = new Client(CLIENT_INFO);
    await client.connect(clientSide);
    return client;
  }

  test('stable mode lists only toolwright_tools and toolwright_call, and reaches every tool through them', async () => {
    const client = await connected({ mode: 'stable' });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['toolwright_tools', 'toolwright_call']);
    expect(JSON.parse(textOf(await client.callTool({ name: 'toolwright_call', arguments: { name: 'divide', arguments: { a: 8, b: 2 } } })))).toBe(4);
    const direct = await client.callTool({ name: 'divide', arguments: { a: 8, b: 2 } });
    expect(textOf(direct)).toBe('REGISTRY_NOT_FOUND: This server lists only toolwright_tools and toolwright_call; call "divide" through toolwright_call.');
  });

  test('tools mode lists only the active tools', async () => {
    const client = await connected({ mode: 'tools' });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['divide', 'sum_fares_price']);
    expect((await client.callTool({ name: 'toolwright_tools', arguments: {} })).isError).toBe(true);
  });

  test('answers initialize for every revision the SDK serves, older clients included', async () => {
    const mcp = await createToolwrightMcp(toolwright);
    servers.push(mcp);
    for (const protocolVersion of ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']) {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await mcp.connect(serverSide);
      const answer = new Promise<JSONRPCMessage>((resolve) => (clientSide.onmessage = resolve));
      await clientSide.start();
      await clientSide.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: CLIENT_INFO } });
      expect(await answer).toMatchObject({ id: 1, result: { protocolVersion, capabilities: { tools: { listChanged: true } }, serverInfo: { name: 'toolwright' } } });
      await clientSide.close();
    }
  });

  test('refuses unknown options', async () => {
    expect((await caught(createToolwrightMcp(toolwright, { mode: 'all' as never }))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('helpers', () => {
  test('the task id names the client and the connection, safe and short', () => {
    expect(mcpTaskId('claude-ai', 'ab12cd34')).toBe('mcp:claude-ai:ab12cd34');
    expect(mcpTaskId('Visual Studio Code / Insiders', 'ab12cd34')).toBe('mcp:Visual-Studio-Code-Insiders:ab12cd34');
    expect(mcpTaskId(undefined, 'ab12cd34')).toBe('mcp:client:ab12cd34');
    expect(mcpTaskId('x'.repeat(500), 'ab12cd34').length).toBeLessThanOrEqual(80);
  });

  test('the token comes from the option, else TOOLWRIGHT_MCP_TOKEN; none, or a short one, is refused', () => {
    expect(requireToken('given-token-0123456789', { TOOLWRIGHT_MCP_TOKEN: 'env-token-0123456789' })).toBe('given-token-0123456789');
    expect(requireToken(undefined, { TOOLWRIGHT_MCP_TOKEN: 'env-token-0123456789' })).toBe('env-token-0123456789');
    expect(() => requireToken(undefined, {})).toThrow(/needs a bearer token: set TOOLWRIGHT_MCP_TOKEN/);
    expect(() => requireToken('short', {})).toThrow(/at least 16 characters/);
  });

  test('--http takes a port', () => {
    expect(parsePort('8765')).toBe(8765);
    expect(parsePort('0')).toBe(0);
    for (const bad of ['-1', '65536', 'http', '80.5', '']) expect(() => parsePort(bad)).toThrow(/--http takes a port number/);
  });

  test('the fingerprint changes with a version, a content hash or a pin, not with the order', () => {
    const version = { kind: 'tool', name: 'a', version: 1, contentHash: 'h', pinned: false } as never;
    const other = { kind: 'tool', name: 'b', version: 1, contentHash: 'k', pinned: false } as never;
    const base = fingerprintOf([version, other]);
    expect(fingerprintOf([other, version])).toBe(base);
    expect(fingerprintOf([{ ...(version as object), version: 2 } as never, other])).not.toBe(base);
    expect(fingerprintOf([{ ...(version as object), pinned: true } as never, other])).not.toBe(base);
    expect(fingerprintOf([{ ...(version as object), contentHash: 'x' } as never, other])).not.toBe(base);
  });
});
