import { SandboxError, type CompiledTool } from '@toolwright/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, MAX_BRACKET_DEPTH, type IsolatedSandbox } from '../index.js';
import { startTestServer, type TestServer } from '../test-support/http-server.js';
import { compileCanary, expectHostUnaffected, outcome } from './probe-harness.js';

/**
 * Issue 22 (second red-team pass), the smaller holes: redirects were not counted against
 * `maxRequests` (12 requests under a cap of 2); a deeply chained source threw a bare
 * `RangeError` out of `compile`; asynchronous WebAssembly never settled and ended as a plain
 * TIMEOUT; and limit messages said what happened but not what to do.
 */

async function refusal(promise: Promise<unknown>): Promise<SandboxError> {
  try {
    await promise;
  } catch (error) {
    if (SandboxError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a SandboxError');
}

const SOURCE_BUDGET = 256 * 1024 - 64;
const fill = (unit: string, prefixLength: number): string => unit.repeat(Math.floor((SOURCE_BUDGET - prefixLength) / unit.length));

describe('issue 22: redirects count as requests', () => {
  let server: TestServer;
  let sandbox: IsolatedSandbox;
  let canary: CompiledTool;
  beforeAll(async () => {
    server = await startTestServer((request, response) => {
      const hops = Number(/^\/hop\/(\d+)$/.exec(request.url)?.[1] ?? 0);
      if (hops > 0) response.writeHead(302, { location: `/hop/${hops - 1}` }).end();
      else response.end('arrived');
    });
    sandbox = createSandbox({ timeoutMs: 10_000, capabilities: { fetch: { allow: [server.origin], maxRequests: 2 } } });
    canary = await compileCanary(sandbox);
  });
  afterAll(async () => {
    await sandbox?.dispose();
    await server?.close();
  });

  it('a chain of redirects stops at maxRequests: the server sees 2 requests, not 6', async () => {
    const tool = await sandbox.compile({
      name: 'follows_redirects',
      source: 'export default async ({ url }) => { try { return await (await fetch(url)).text(); } catch (error) { return error.message; } };',
      capabilities: [{ kind: 'fetch', origins: [server.origin] }],
    });
    const seen = server.requests.length;
    const result = await sandbox.run(tool, { url: `${server.origin}/hop/5` });
    expect(result).toMatchObject({ ok: true, value: expect.stringMatching(/stopped at a redirect .*over the 2 requests one run may make \(each redirect counts as a request\)/) });
    expect(server.requests.length - seen).toBe(2);
    // One redirect within the cap is followed.
    expect(await sandbox.run(tool, { url: `${server.origin}/hop/1` })).toMatchObject({ ok: true, value: 'arrived' });
    // Requests after a redirect chain has spent the cap are refused before they leave.
    const twice = await sandbox.compile({
      name: 'fetches_twice',
      source: 'export default async ({ url }) => { await fetch(url); try { await fetch(url); return "sent"; } catch (error) { return error.message; } };',
      capabilities: [{ kind: 'fetch', origins: [server.origin] }],
    });
    const before = server.requests.length;
    expect(await sandbox.run(twice, { url: `${server.origin}/hop/1` })).toMatchObject({ ok: true, value: expect.stringContaining('already made 2 requests (redirects included)') });
    expect(server.requests.length - before).toBe(2);
    await expectHostUnaffected(sandbox, canary);
  });
});

describe('issue 22: the static gate refuses deep nesting with a code, in its own thread', () => {
  let sandbox: IsolatedSandbox;
  let canary: CompiledTool;
  beforeAll(async () => {
    sandbox = createSandbox({ timeoutMs: 5_000 });
    canary = await compileCanary(sandbox);
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  const prefix = 'export default (a) => ';
  const half = (unit: string) => unit.repeat(Math.floor((SOURCE_BUDGET - prefix.length) / (2 * unit.length)));
  const sources: [string, string][] = [
    ['brackets', `${prefix}${half('[')}${half(']')};`],
    ['parentheses', `${prefix}${half('(')}1${half(')')};`],
    ['objects', `${prefix}${half('({a:')}1${half('})')};`],
    ['arrow functions', `export default ${fill('() => ', 15)}1;`],
    ['a member chain', `${prefix}a${fill('.b', prefix.length + 1)};`],
    ['a call chain', `${prefix}a${fill('()', prefix.length + 1)};`],
    ['an operator chain', `${prefix}1${fill('+1', prefix.length + 1)};`],
    ['a ternary chain', `${prefix}${fill('a?1:', prefix.length)}0;`],
  ];

  it.each(sources)('a 256 KiB source of %s is SANDBOX_STATIC_GATE max-nesting-depth, in JavaScript and TypeScript', async (_label, source) => {
    expect(source.length).toBeLessThanOrEqual(256 * 1024);
    for (const language of ['js', 'ts'] as const) {
      const error = await refusal(sandbox.compile({ name: 'deep', source, language }));
      expect(error.code).toBe('SANDBOX_STATIC_GATE');
      expect(error.details).toMatchObject({ rule: 'max-nesting-depth' });
      expect(error.message).toMatch(/split it into smaller functions/);
    }
    await expectHostUnaffected(sandbox, canary);
  });

  it('nesting within the limits compiles and runs', async () => {
    const tool = await sandbox.compile({ name: 'nested', source: `export default () => ${'['.repeat(MAX_BRACKET_DEPTH - 8)}1${']'.repeat(MAX_BRACKET_DEPTH - 8)}.length;` });
    expect(await sandbox.run(tool, null)).toMatchObject({ ok: true, value: 1 });
    const chain = await sandbox.compile({ name: 'chain', source: `export default (a) => a${'.b'.repeat(500)} ?? 'end';`, language: 'js' });
    expect(outcome(await sandbox.run(chain, {}))).toBe('THROWN');
  });

  it('a large flat source (a 256 KiB table) is checked off the event loop and compiles', async () => {
    const tool = await sandbox.compile({ name: 'table', source: `const TABLE = [${fill('7,', 40)}];\nexport default () => TABLE.length;` });
    expect(await sandbox.run(tool, null)).toMatchObject({ ok: true, value: expect.any(Number) });
  });
});

describe('issue 22: asynchronous WebAssembly works or is refused with a message, never a plain TIMEOUT', () => {
  // (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
  const ADD_MODULE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 127, 3, 2, 1, 0, 7, 7, 1, 3, 97, 100, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 32, 1, 106, 11];
  let sandbox: IsolatedSandbox;
  beforeAll(() => {
    sandbox = createSandbox({ allowWebAssembly: true, timeoutMs: 2_000 });
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('WebAssembly.instantiate and WebAssembly.compile resolve', async () => {
    const instantiate = await sandbox.compile({
      name: 'wasm_instantiate',
      source: `export default async (bytes) => {
        const { module, instance } = await WebAssembly.instantiate(new Uint8Array(bytes));
        const again = await WebAssembly.instantiate(module);
        return [instance.exports.add(2, 3), again.exports.add(4, 5)];
      };`,
    });
    expect(await sandbox.run(instantiate, ADD_MODULE)).toMatchObject({ ok: true, value: [5, 9] });
    const compile = await sandbox.compile({ name: 'wasm_compile', source: 'export default async (bytes) => WebAssembly.Module.exports(await WebAssembly.compile(new Uint8Array(bytes)));' });
    expect(await sandbox.run(compile, ADD_MODULE)).toMatchObject({ ok: true, value: [{ name: 'add', kind: 'function' }] });
  });

  it('invalid bytes reject with the CompileError; the streaming variants reject, saying what to use', async () => {
    const invalid = await sandbox.compile({ name: 'wasm_invalid', source: 'export default async () => WebAssembly.instantiate(new Uint8Array([1, 2, 3]));' });
    expect(await sandbox.run(invalid, null)).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringContaining('CompileError') } });
    const streaming = await sandbox.compile({ name: 'wasm_streaming', source: 'export default async () => WebAssembly.instantiateStreaming(null);' });
    expect(await sandbox.run(streaming, null)).toMatchObject({
      ok: false,
      error: { code: 'THROWN', message: expect.stringContaining('pass the bytes to WebAssembly.instantiate(bytes)') },
    });
  });
});

describe('issue 22: limit messages say what to do', () => {
  it('TIMEOUT, MEMORY_LIMIT and OUTPUT_TOO_LARGE name the option to change', async () => {
    const sandbox = createSandbox({ timeoutMs: 200, memoryLimitMb: 16, maxOutputBytes: 1_000 });
    try {
      const spin = await sandbox.compile({ name: 'spin', source: 'export default () => { for (;;) {} };' });
      expect(await sandbox.run(spin, null)).toMatchObject({ ok: false, error: { code: 'TIMEOUT', message: expect.stringContaining('give it more time (timeoutMs)') } });
      const hog = await sandbox.compile({ name: 'hog', source: 'export default () => { const keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20)); };' });
      expect(await sandbox.run(hog, null, { timeoutMs: 20_000 })).toMatchObject({ ok: false, error: { code: 'MEMORY_LIMIT', message: expect.stringContaining('raise memoryLimitMb') } });
      const big = await sandbox.compile({ name: 'big', source: 'export default () => "x".repeat(2000);' });
      expect(await sandbox.run(big, null)).toMatchObject({ ok: false, error: { code: 'OUTPUT_TOO_LARGE', message: expect.stringContaining('(maxOutputBytes). Return less') } });
    } finally {
      await sandbox.dispose();
    }
  });
});
