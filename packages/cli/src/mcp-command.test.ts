import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type FlakyService, flakyServicePrice, startFlakyService } from '@toolwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { FARES, makeFixtureDatabase } from './test-support/fixture-database.js';
import { cli } from './test-support/run-in-process.js';

// `toolwright mcp` as an MCP client runs it: the built bin (dist/cli.js) in its own process,
// driven by the official SDK client over its stdin/stdout, or over Streamable HTTP.
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const directory = mkdtempSync(join(tmpdir(), 'toolwright-cli-mcp-'));
const CLIENT_INFO = { name: 'toolwright-cli-test', version: '1.0.0' };
const TOKEN = 'cli-mcp-test-token-0123456789';
const STABLE = ['toolwright_call', 'toolwright_tools'];
let service: FlakyService;
let db: string;

beforeAll(async () => {
  // A healthy quote service: get_quote v1 (no retry) answers every call through it.
  service = await startFlakyService();
  ({ db } = await makeFixtureDatabase(directory, service));
});
afterAll(async () => {
  await service?.close();
  rmSync(directory, { recursive: true, force: true });
});

/** The text of a result's first content block. */
function textOf(result: unknown): string {
  const content = (result as CallToolResult).content[0];
  return content?.type === 'text' ? content.text : '';
}

/** How a process ended: its exit code, or the signal that killed it. */
function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Starts `toolwright mcp <args>` through the SDK's stdio transport and connects a client. The
 * transport keeps its child process to itself; the test reads it to learn the exit code.
 */
async function connectStdio(args: readonly string[]): Promise<{ client: Client; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stderr: () => string }> {
  // The SDK passes only its safe list of variables (HOME, PATH, …), so no TOOLWRIGHT_DB or TOOLWRIGHT_MCP_TOKEN reaches the child.
  const transport = new StdioClientTransport({ command: process.execPath, args: [bin, 'mcp', '--db', db, ...args], cwd: directory, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client(CLIENT_INFO);
  await client.connect(transport);
  const child = (transport as unknown as { _process?: ChildProcess })._process;
  if (child === undefined) throw new Error('StdioClientTransport no longer keeps its child process in _process; read the exit code another way');
  return { client, exited: exitOf(child), stderr: () => stderr };
}

describe('toolwright mcp over stdio', () => {
  it('lists every active tool and the stable pair, calls them, and exits 0 when the client closes', async () => {
    const { client, exited, stderr } = await connectStdio(['--allow', service.origin]);
    try {
      expect(client.getServerVersion()?.name).toBe('toolwright');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['get_quote', 'sum_fares_price', ...STABLE]);
      expect(tools.find((tool) => tool.name === 'sum_fares_price')?._meta).toMatchObject({ 'toolwright/version': 1 });

      const sum = await client.callTool({ name: 'sum_fares_price', arguments: FARES });
      expect(sum.isError).not.toBe(true);
      expect(JSON.parse(textOf(sum))).toBeCloseTo(590.59, 6);
      // --allow reaches the sandbox: the network tool may fetch from the service.
      const quote = await client.callTool({ name: 'toolwright_call', arguments: { name: 'get_quote', arguments: { key: 'ams' } } });
      expect(textOf(quote)).toBe(JSON.stringify(flakyServicePrice('ams')));
    } finally {
      await client.close();
    }
    expect(await exited, stderr()).toEqual({ code: EXIT_CODES.ok, signal: null });
  });

  it('--mode stable lists only toolwright_tools and toolwright_call', async () => {
    const { client, exited, stderr } = await connectStdio(['--mode', 'stable']);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(STABLE);
      const listing = JSON.parse(textOf(await client.callTool({ name: 'toolwright_tools', arguments: {} }))) as { tools: { name: string }[] };
      expect(listing.tools.map((tool) => tool.name).sort()).toEqual(['get_quote', 'sum_fares_price']);
    } finally {
      await client.close();
    }
    expect(await exited, stderr()).toEqual({ code: EXIT_CODES.ok, signal: null });
  });
});

describe('toolwright mcp --http', () => {
  it('prints its URL on stderr, serves clients that send the bearer token, and stops on SIGTERM with exit 0', async () => {
    // Only --token: a TOOLWRIGHT_MCP_TOKEN of the machine running the tests must not stand in for it.
    const env: NodeJS.ProcessEnv = { ...process.env, TOOLWRIGHT_DB: '' };
    delete env['TOOLWRIGHT_MCP_TOKEN'];
    const child = spawn(process.execPath, [bin, 'mcp', '--http', '0', '--token', TOKEN, '--db', db], { cwd: directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = exitOf(child);
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const found = /serving (http:\/\/127\.0\.0\.1:\d+\/mcp) /.exec(stderr);
        if (found?.[1] !== undefined) resolve(found[1]);
      });
      void exited.then(({ code }) => reject(new Error(`toolwright mcp exited (${code}) before printing its URL: ${stderr}`)));
    });
    try {
      await expect(new Client(CLIENT_INFO).connect(new StreamableHTTPClientTransport(new URL(url)))).rejects.toThrow(/401|Unauthorized/);
      const client = new Client(CLIENT_INFO);
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
      try {
        expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['get_quote', 'sum_fares_price', ...STABLE]);
        expect(JSON.parse(textOf(await client.callTool({ name: 'sum_fares_price', arguments: FARES })))).toBeCloseTo(590.59, 6);
      } finally {
        await client.close();
      }
    } finally {
      child.kill('SIGTERM');
      expect(await exited, stderr).toEqual({ code: EXIT_CODES.ok, signal: null });
    }
  });

  it('refuses HTTP without a token or with a short one, an unknown mode, and a poll interval over an hour (exit 2, with the usage)', async () => {
    const missing = await cli(['mcp', '--http', '0', '--db', db], { cwd: directory, env: {} });
    expect(missing.code).toBe(EXIT_CODES.usage);
    expect(missing.stderr.split('\n')[0]).toMatch(/^toolwright mcp: Streamable HTTP needs a bearer token: .*--token/);
    expect(missing.stderr).toContain('Usage: toolwright mcp');
    const short = await cli(['mcp', '--http', '0', '--token', 'short', '--db', db], { cwd: directory, env: {} });
    expect(short.code).toBe(EXIT_CODES.usage);
    expect(short.stderr).toContain('at least 16 characters');
    const mode = await cli(['mcp', '--mode', 'nonsense', '--db', db], { cwd: directory, env: {} });
    expect(mode.code).toBe(EXIT_CODES.usage);
    expect(mode.stderr.split('\n')[0]).toBe('toolwright mcp: --mode must be one of both, tools, stable; got "nonsense".');
    const poll = await cli(['mcp', '--poll-ms', '3600001', '--db', db], { cwd: directory, env: {} });
    expect(poll.code).toBe(EXIT_CODES.usage);
    expect(poll.stderr.split('\n')[0]).toBe('toolwright mcp: --poll-ms takes a whole number of milliseconds from 0 to 3600000 (an hour; 0: never); got "3600001".');
    // HTTP's options without --http would be ignored in silence: refused, naming them.
    const stdio = await cli(['mcp', '--token', 'a-token-of-twenty-chars', '--allow-origin', 'https://app.example', '--db', db], { cwd: directory, env: {} });
    expect(stdio.code).toBe(EXIT_CODES.usage);
    expect(stdio.stderr.split('\n')[0]).toBe('toolwright mcp: --token, --allow-origin only apply with --http <port>; give --http, or leave them out to serve over stdio.');
  });
});
