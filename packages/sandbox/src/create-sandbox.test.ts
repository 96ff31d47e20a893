import { SandboxError, sha256, ValidationError, type CompiledTool } from '@toolwright/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type IsolatedSandbox } from './index.js';

async function refusal(promise: Promise<unknown>): Promise<SandboxError> {
  try {
    await promise;
  } catch (error) {
    if (SandboxError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a SandboxError');
}

describe('createSandbox', () => {
  let sandbox: IsolatedSandbox;
  beforeAll(() => {
    sandbox = createSandbox({ timeoutMs: 2_000 });
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  it('fills in the documented defaults', () => {
    const fresh = createSandbox();
    expect(fresh.options).toMatchObject({ memoryLimitMb: 64, timeoutMs: 1_000, maxOutputBytes: 1_000_000, capabilities: {} });
    expect(fresh.options.capabilities.fetch).toBeUndefined();
    return fresh.dispose();
  });

  it('runs a TypeScript tool: value, duration and captured logs', async () => {
    const source = [
      'interface Input { fares: number[] }',
      'export default ({ fares }: Input): number => {',
      '  console.log("summing", fares.length, "fares", { first: fares[0] });',
      '  console.warn("careful");',
      '  return Math.round(fares.reduce((a, b) => a + b, 0) * 100) / 100;',
      '};',
    ].join('\n');
    const tool = await sandbox.compile({ name: 'total_fares', source, capabilities: [] });
    const result = await sandbox.run(tool, { fares: [229.92, 360.67] }, { timeoutMs: 500 });
    expect(result).toEqual({ ok: true, value: 590.59, durationMs: expect.any(Number), logs: ['summing 2 fares {"first":229.92}', 'warn: careful'] });
  });

  it('returns a handle naming the tool, the hash of the code that runs, and its capabilities', async () => {
    const source = 'export default (x: number) => x * 2;';
    const tool = await sandbox.compile({ name: 'double', source });
    expect(tool.name).toBe('double');
    expect(tool.codeHash).toBe(sha256('export default (x) => x * 2;'));
    expect(tool.capabilities).toEqual([]);
    expect(Object.isFrozen(tool)).toBe(true);
    const again = await sandbox.compile({ name: 'double', source });
    expect(again.codeHash).toBe(tool.codeHash);
    expect(await sandbox.run(again, 21)).toMatchObject({ ok: true, value: 42 });
  });

  it('runs JavaScript when the language says so', async () => {
    const tool = await sandbox.compile({ name: 'shout', language: 'js', source: 'export default function (s) { return s.toUpperCase(); }' });
    expect(await sandbox.run(tool, 'hi')).toMatchObject({ ok: true, value: 'HI' });
  });

  it('awaits an async tool', async () => {
    const tool = await sandbox.compile({ name: 'later', source: 'export default async (n: number) => { await null; return [n, n + 1]; };' });
    expect(await sandbox.run(tool, 1)).toMatchObject({ ok: true, value: [1, 2] });
  });

  it('reports a throw as THROWN with the guest message', async () => {
    const tool = await sandbox.compile({ name: 'fails', source: 'export default () => { throw new TypeError("no fares given"); };' });
    const result = await sandbox.run(tool, null);
    expect(result).toMatchObject({ ok: false, error: { code: 'THROWN' } });
    if (!result.ok) expect(result.error.message).toContain('TypeError: no fares given');
    const rejects = await sandbox.compile({ name: 'rejects', source: 'export default async () => { throw new Error("later"); };' });
    expect(await sandbox.run(rejects, null)).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringContaining('Error: later') } });
  });

  it('runs many inputs in order, INVALID_INPUT for those that are not JSON', async () => {
    const tool = await sandbox.compile({ name: 'square', source: 'export default (n: number) => { console.log(n); return n * n; };' });
    const results = await sandbox.runMany(tool, [1, 2, Number.NaN as never, 3, { f: (() => 1) as never }, 4]);
    expect(results.map((result) => (result.ok ? result.value : result.error.code))).toEqual([1, 4, 'INVALID_INPUT', 9, 'INVALID_INPUT', 16]);
    expect(results[3]?.logs).toEqual(['3']);
    expect(await sandbox.runMany(tool, [])).toEqual([]);
  });

  it('refuses an oversized argument as INVALID_INPUT without running the tool', async () => {
    const small = createSandbox({ maxInputBytes: 100 });
    try {
      const tool = await small.compile({ name: 'echo', source: 'export default (x: unknown) => { console.log("ran"); return x; };' });
      const result = await small.run(tool, 'x'.repeat(200));
      expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' }, logs: [] });
      expect(await small.run(tool, 'x'.repeat(50))).toMatchObject({ ok: true, logs: ['ran'] });
    } finally {
      await small.dispose();
    }
  });

  it('applies a per-run timeout', async () => {
    const tool = await sandbox.compile({ name: 'spin', source: 'export default (ms: number) => { const end = Date.now() + ms; while (Date.now() < end) {} return ms; };' });
    expect(await sandbox.run(tool, 10, { timeoutMs: 1_000 })).toMatchObject({ ok: true, value: 10 });
    expect(await sandbox.run(tool, 5_000, { timeoutMs: 100 })).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
  });

  it('gives tools setTimeout and clearTimeout, whose waits count against the deadline', async () => {
    const tool = await sandbox.compile({
      name: 'waits',
      source: [
        'export default async (ms: number) => {',
        '  const cancelled = setTimeout(() => console.log("never"), 1);',
        '  clearTimeout(cancelled);',
        '  const extra = await new Promise((resolve) => setTimeout(resolve, ms, "arg"));',
        '  return extra;',
        '};',
      ].join('\n'),
    });
    expect(await sandbox.run(tool, 20)).toMatchObject({ ok: true, value: 'arg', logs: [] });
    expect(await sandbox.run(tool, 10_000, { timeoutMs: 150 })).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
  });

  it('leaves WebAssembly in the guest only when allowed', async () => {
    const probe = 'export default () => typeof globalThis["Web" + "Assembly"];';
    expect(await sandbox.run(await sandbox.compile({ name: 'wasm', source: probe }), null)).toMatchObject({ ok: true, value: 'undefined' });
    const allowing = createSandbox({ allowWebAssembly: true });
    try {
      const tool = await allowing.compile({ name: 'wasm', source: 'export default () => typeof WebAssembly.Module;' });
      expect(await allowing.run(tool, null)).toMatchObject({ ok: true, value: 'function' });
    } finally {
      await allowing.dispose();
    }
  });

  it('keeps module state between runs of a warm tool (memoisation works), and never between tools', async () => {
    const counter = await sandbox.compile({ name: 'counter', source: 'let calls = 0;\nexport default () => ++calls;' });
    const other = await sandbox.compile({ name: 'other_counter', source: 'let calls = 100;\nexport default () => ++calls;' });
    expect(await sandbox.run(counter, null)).toMatchObject({ value: 1 });
    expect(await sandbox.run(counter, null)).toMatchObject({ value: 2 });
    expect(await sandbox.run(other, null)).toMatchObject({ value: 101 });
  });

  it('reports the isolated-vm it loaded: 6.x on Node ≥ 22, 5.x before', async () => {
    const tool = await sandbox.compile({ name: 'one', source: 'export default () => 1;' });
    await sandbox.run(tool, null);
    const major = Number(process.versions.node.split('.')[0]);
    expect(sandbox.stats().engine).toMatch(major >= 22 ? /^isolated-vm@6\./ : /^isolated-vm@5\./);
  });

  describe('compile refuses', () => {
    it('a default export that is not a function (found by loading it), with its line', async () => {
      const error = await refusal(sandbox.compile({ name: 'not_fn', source: 'const value = 42;\n\nexport default value;' }));
      expect(error.code).toBe('SANDBOX_NO_DEFAULT_EXPORT');
      expect(error.details).toMatchObject({ line: 3, rule: 'default-export', exported: 'number' });
    });

    it('a module whose top-level code throws or never ends', async () => {
      const throws = await refusal(sandbox.compile({ name: 'top_throws', source: 'throw new Error("at load");\nexport default () => 1;' }));
      expect(throws.code).toBe('SANDBOX_LOAD_FAILED');
      expect(throws.message).toContain('at load');
      const loops = createSandbox({ timeoutMs: 100 });
      try {
        const error = await refusal(loops.compile({ name: 'top_loops', source: 'while (true) {}\nexport default () => 1;' }));
        expect(error.code).toBe('SANDBOX_LOAD_FAILED');
        expect(error.details).toMatchObject({ reason: 'TIMEOUT' });
      } finally {
        await loops.dispose();
      }
    });

    it('a static-gate violation, a syntax error and a missing default export, with line and rule', async () => {
      expect((await refusal(sandbox.compile({ name: 'gate', source: 'export default () =>\n  process.exit(1);' }))).details).toMatchObject({ line: 2, rule: 'no-host-globals' });
      const syntax = await refusal(sandbox.compile({ name: 'syntax', source: 'export default () => {\n  return (;\n};' }));
      expect(syntax.code).toBe('SANDBOX_SYNTAX_ERROR');
      expect(syntax.details).toMatchObject({ line: 2 });
      expect((await refusal(sandbox.compile({ name: 'named', source: 'export const x = 1;' }))).code).toBe('SANDBOX_NO_DEFAULT_EXPORT');
    });

    it('a source over the limit', async () => {
      const small = createSandbox({ maxSourceLength: 100 });
      try {
        const error = await refusal(small.compile({ name: 'big', source: `export default () => "${'x'.repeat(200)}";` }));
        expect(error.code).toBe('SANDBOX_SOURCE_TOO_LARGE');
        expect(error.details).toMatchObject({ line: 1, rule: 'max-source-length' });
      } finally {
        await small.dispose();
      }
    });

    it('a capability the sandbox does not grant, and accepts one it does', async () => {
      const capabilities = [{ kind: 'fetch' as const, origins: ['http://127.0.0.1:9'] }];
      const error = await refusal(sandbox.compile({ name: 'fetcher', source: 'export default () => 1;', capabilities }));
      expect(error.code).toBe('SANDBOX_CAPABILITY_NOT_GRANTED');
      expect(error.details).toMatchObject({ capability: 'fetch', origin: 'http://127.0.0.1:9' });
      const granting = createSandbox({ capabilities: { fetch: { allow: ['http://127.0.0.1:9', 'http://127.0.0.1:10'] } } });
      try {
        const wider = [{ kind: 'fetch' as const, origins: ['http://127.0.0.1:9', 'http://127.0.0.1:11'] }];
        expect((await refusal(granting.compile({ name: 'fetcher', source: 'export default () => 1;', capabilities: wider }))).details).toMatchObject({ origin: 'http://127.0.0.1:11' });
        const tool = await granting.compile({ name: 'fetcher', source: 'export default () => 1;', capabilities });
        expect(tool.capabilities).toEqual(capabilities);
      } finally {
        await granting.dispose();
      }
    });

    it('an invalid request', async () => {
      await expect(sandbox.compile({ name: 'Not A Tool Name', source: 'export default () => 1;' })).rejects.toSatisfy(
        (error: unknown) => ValidationError.isInstance(error) && error.code === 'INVALID_ARGUMENT',
      );
      await expect(sandbox.compile({ name: 'x', source: 42 as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });

  it('validates its options', () => {
    for (const options of [{ memoryLimitMb: 4 }, { timeoutMs: 0 }, { capabilities: { fetch: { allow: ['not an origin'] } } }, { unknown: true }]) {
      expect(() => createSandbox(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('refuses a tool it did not compile, and bad run options', async () => {
    const forged: CompiledTool = { name: 'double', codeHash: 'f'.repeat(64), capabilities: [] };
    await expect(sandbox.run(forged, 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const tool = await sandbox.compile({ name: 'one', source: 'export default () => 1;' });
    await expect(sandbox.run(tool, 1, { timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(sandbox.runMany(tool, 'nope' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('after dispose: every call throws SANDBOX_DISPOSED and the worker process is gone', async () => {
    const short = createSandbox();
    const tool = await short.compile({ name: 'one', source: 'export default () => 1;' });
    await short.run(tool, null);
    const [pid] = short.stats().pids;
    expect(pid).toBeTypeOf('number');
    await short.dispose();
    await short.dispose();
    expect(() => process.kill(pid as number, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(short.stats().workers).toBe(0);
    for (const call of [() => short.run(tool, null), () => short.runMany(tool, [1]), () => short.compile({ name: 'one', source: 'export default () => 1;' })]) {
      expect((await refusal(call())).code).toBe('SANDBOX_DISPOSED');
    }
  });

  it('rejects calls in flight when disposed', async () => {
    const short = createSandbox({ timeoutMs: 5_000 });
    const tool = await short.compile({ name: 'never', source: 'export default () => new Promise(() => {});' });
    const running = refusal(short.run(tool, null));
    const queued = refusal(short.run(tool, null));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await short.dispose();
    expect((await running).code).toBe('SANDBOX_DISPOSED');
    expect((await queued).code).toBe('SANDBOX_DISPOSED');
  });

  it('says which isolated-vm modules it tried, and why none loaded', async () => {
    const none = createSandbox({ isolatedVmModules: ['isolated-vm-that-does-not-exist', 'node:path'] });
    try {
      const error = await refusal(none.compile({ name: 'one', source: 'export default () => 1;' }));
      expect(error.code).toBe('SANDBOX_UNAVAILABLE');
      expect(error.message).toContain('isolated-vm-that-does-not-exist: not installed');
      expect(error.message).toContain('node:path: loaded, but it does not look like isolated-vm');
      expect(error.message).toContain(process.version);
      expect((await refusal(none.compile({ name: 'one', source: 'export default () => 1;' }))).code).toBe('SANDBOX_UNAVAILABLE');
    } finally {
      await none.dispose();
    }
  });
});
