import type { CompiledTool } from '@toolwright/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type IsolatedSandbox } from '../index.js';
import { compileCanary, expectHostUnaffected, outcome, runProbe } from './probe-harness.js';

/**
 * Abuse probes against every limit: time (sync, async, microtasks, regexes), stack, memory
 * (arrays, strings, ArrayBuffers, Maps — the last one takes isolated-vm's whole worker down),
 * logs and timers. Each ends with its exact code, and the host and later runs carry on.
 */
describe('abuse probes: limits hold for sync and async work', () => {
  let sandbox: IsolatedSandbox;
  let canary: CompiledTool;
  beforeAll(async () => {
    sandbox = createSandbox({ timeoutMs: 200, memoryLimitMb: 16 });
    canary = await compileCanary(sandbox);
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  it.each([
    ['an infinite loop', 'export default () => { for (;;) {} };'],
    ['a microtask flood', 'export default () => { const spin = () => { Promise.resolve().then(spin); }; spin(); return new Promise(() => {}); };'],
    ['a loop after await', 'export default async () => { await null; await Promise.resolve(); for (;;) {} };'],
    ['a loop after a timer', 'export default async () => { await new Promise((resolve) => setTimeout(resolve, 5)); for (;;) {} };'],
    ['a never-resolving promise', 'export default () => new Promise(() => {});'],
    ['a catastrophic regex', "export default () => /^(a+)+$/.test('a'.repeat(40) + 'b');"],
    ['a timer that re-arms itself forever', 'export default () => new Promise(() => { const again = () => setTimeout(again, 0); again(); });'],
    ['an async generator that never ends', 'async function* forever() { for (;;) yield 1; }\nexport default async () => { for await (const _ of forever()) {} };'],
  ])('%s ends as TIMEOUT', async (_label, source) => {
    expect(outcome(await runProbe(sandbox, source))).toBe('TIMEOUT');
    await expectHostUnaffected(sandbox, canary);
  });

  it('deep recursion is a RangeError thrown in the guest', async () => {
    const result = await runProbe(sandbox, 'const dive = (n: number): number => dive(n + 1) + 1;\nexport default () => dive(0);');
    expect(result).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringContaining('RangeError: Maximum call stack size exceeded') } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('async stack overflow: errors raised at the stack limit, even by host-backed calls, stay guest errors', async () => {
    const source = `
      const C = 'constr' + 'uctor';
      const caught = [];
      const poke = () => {
        for (const call of [() => console.log('edge'), () => setTimeout(() => 0, 1), () => JSON.stringify({ a: [1] }), () => fetch(42)]) {
          try { call(); } catch (error) { caught.push(error); }
        }
      };
      const dive = async (depth) => {
        try { return await dive(depth + 1); } catch (error) { caught.push(error); poke(); return depth; }
      };
      export default async () => {
        const depth = await dive(0);
        const realms = caught.map((error) => {
          if (error === null || typeof error !== 'object') return 'primitive';
          let climbed;
          try { error[C][C]('return process')(); climbed = 'compiled'; } catch (inner) { climbed = inner.name; }
          const guestProto = [RangeError, TypeError, Error].some((E) => Object.getPrototypeOf(error) === E.prototype);
          return guestProto && climbed === 'EvalError' ? 'guest' : 'foreign';
        });
        return { deep: depth > 100, caught: caught.length > 0, realms: [...new Set(realms)] };
      };`;
    const result = await runProbe(sandbox, source, null, { timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: true, value: { deep: true, caught: true, realms: ['guest'] } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a memory bomb of arrays ends as MEMORY_LIMIT', async () => {
    const source = 'export default () => { const keep = []; for (;;) keep.push({ n: keep.length, list: [1, 2, 3] }); };';
    expect(outcome(await runProbe(sandbox, source, null, { timeoutMs: 20_000 }))).toBe('MEMORY_LIMIT');
    await expectHostUnaffected(sandbox, canary);
  });

  it('a memory bomb of strings ends as MEMORY_LIMIT', async () => {
    const source = 'export default () => { const keep = []; for (let i = 0; ; i++) keep.push("row " + i + "x".repeat(100)); };';
    expect(outcome(await runProbe(sandbox, source, null, { timeoutMs: 20_000 }))).toBe('MEMORY_LIMIT');
    await expectHostUnaffected(sandbox, canary);
  });

  it('a memory bomb of ArrayBuffers ends as MEMORY_LIMIT, even one large allocation', async () => {
    expect(outcome(await runProbe(sandbox, 'export default () => { const keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20)); };', null, { timeoutMs: 20_000 }))).toBe('MEMORY_LIMIT');
    expect(outcome(await runProbe(sandbox, 'export default () => new Uint8Array(1 << 30).length;', null, { timeoutMs: 20_000 }))).toBe('MEMORY_LIMIT');
    await expectHostUnaffected(sandbox, canary);
  });

  it('a chain of promises that never settles, grown from microtasks, ends as MEMORY_LIMIT', async () => {
    const source = 'export default () => { const grow = () => Promise.resolve().then(grow); return grow(); };';
    expect(outcome(await runProbe(sandbox, source, null, { timeoutMs: 20_000 }))).toBe('MEMORY_LIMIT');
    await expectHostUnaffected(sandbox, canary);
  });

  it('a memory bomb of a string-keyed Map, which usually takes the worker process down, ends as MEMORY_LIMIT', async () => {
    const before = sandbox.stats().restarts;
    const source = 'export default () => { const grow = new Map(); for (let i = 0; ; i++) grow.set("key" + i, i); };';
    expect(outcome(await runProbe(sandbox, source, null, { timeoutMs: 20_000 }))).toBe('MEMORY_LIMIT');
    // Either V8 ran out and the worker was replaced, or (on a loaded machine) isolated-vm stopped
    // the isolate first; supervision.test.ts proves the replacement.
    expect([before, before + 1]).toContain(sandbox.stats().restarts);
    await expectHostUnaffected(sandbox, canary);
  });

  it('a log flood is capped, and the run still answers', async () => {
    const result = await runProbe(sandbox, 'export default () => { for (let i = 0; i < 5000; i++) console.log("line " + i + " " + "x".repeat(20_000)); return "done"; };', null, { timeoutMs: 5_000 });
    expect(result).toMatchObject({ ok: true, value: 'done' });
    expect(result.logs.length).toBeLessThanOrEqual(1_001);
    expect(result.logs.at(-1)).toMatch(/more log line\(s\) dropped/);
    expect(result.logs.reduce((total, line) => total + line.length, 0)).toBeLessThan(300 * 1024);
    await expectHostUnaffected(sandbox, canary);
  });

  it('a timer flood is refused past 1,000 pending timers', async () => {
    const result = await runProbe(sandbox, 'export default () => { for (let i = 0; i < 5000; i++) setTimeout(() => 0, 100000); return "armed"; };');
    expect(result).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringContaining('1000 timers are already pending') } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('timers armed in one run never fire in the next', async () => {
    const tool = await sandbox.compile({
      name: 'leftover_timers',
      source: 'let fired = 0;\nexport default (arm: boolean) => { if (arm) { setTimeout(() => { fired += 1; }, 30); return "armed"; } return new Promise((resolve) => setTimeout(() => resolve(fired), 60)); };',
    });
    expect(await sandbox.run(tool, true)).toMatchObject({ ok: true, value: 'armed' });
    expect(await sandbox.run(tool, false)).toMatchObject({ ok: true, value: 0 });
    await expectHostUnaffected(sandbox, canary);
  });

  it('an oversized argument is INVALID_INPUT and never reaches the guest', async () => {
    const small = createSandbox({ maxInputBytes: 1_000 });
    try {
      const tool = await small.compile({ name: 'echo', source: 'export default (x: unknown) => { console.log("ran"); return x; };' });
      expect(await small.run(tool, { blob: 'x'.repeat(2_000) })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' }, logs: [] });
    } finally {
      await small.dispose();
    }
    await expectHostUnaffected(sandbox, canary);
  });

  it('an oversized source is refused at compile time', async () => {
    await expect(sandbox.compile({ name: 'huge', source: `export default () => "${'x'.repeat(300 * 1024)}";` })).rejects.toMatchObject({ code: 'SANDBOX_SOURCE_TOO_LARGE' });
    await expectHostUnaffected(sandbox, canary);
  });
});
