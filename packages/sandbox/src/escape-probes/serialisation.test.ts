import { inspect } from 'node:util';
import type { CompiledTool } from '@toolwright/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type IsolatedSandbox } from '../index.js';
import { compileCanary, expectHostUnaffected, runProbe } from './probe-harness.js';

/**
 * Probes aimed at the way results and thrown values leave the guest: everything is serialised
 * inside the guest, under the run's deadline, so no getter, toJSON, Proxy trap, species or
 * inspect hook ever runs on the host, and what arrives is plain data.
 */
describe('escape probes: results and thrown values cross as plain data', () => {
  let sandbox: IsolatedSandbox;
  let canary: CompiledTool;
  beforeAll(async () => {
    sandbox = createSandbox({ timeoutMs: 300, maxOutputBytes: 10_000 });
    canary = await compileCanary(sandbox);
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  it('a getter in the result runs once, inside the guest; the host gets a data property', async () => {
    const source = `let reads = 0;\nexport default () => ({ get total() { reads += 1; return reads; } });`;
    const result = await runProbe(sandbox, source);
    expect(result).toMatchObject({ ok: true, value: { total: 1 } });
    const value = result.ok ? (result.value as object) : {};
    expect(Object.getOwnPropertyDescriptor(value, 'total')).toEqual({ value: 1, writable: true, enumerable: true, configurable: true });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a getter that never returns ends as TIMEOUT inside the deadline', async () => {
    const result = await runProbe(sandbox, 'export default () => ({ get trap() { for (;;) {} } });');
    expect(result).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('toJSON is applied inside the guest; a throwing or looping toJSON is the guest’s fault', async () => {
    expect(await runProbe(sandbox, 'export default () => ({ toJSON() { return { replaced: true }; } });')).toMatchObject({ ok: true, value: { replaced: true } });
    expect(await runProbe(sandbox, 'export default () => ({ toJSON() { throw new Error("no"); } });')).toMatchObject({ ok: false, error: { code: 'INVALID_OUTPUT' } });
    expect(await runProbe(sandbox, 'export default () => ({ toJSON() { for (;;) {} } });')).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a Proxy result is serialised through its traps in the guest; the host gets plain data', async () => {
    const source = `export default () => new globalThis['Pro' + 'xy']({}, {
      ownKeys: () => ['a', 'b'],
      getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
      get: (target, key) => 'trap:' + String(key),
    });`;
    const result = await runProbe(sandbox, source);
    expect(result).toMatchObject({ ok: true, value: { a: 'trap:a', b: 'trap:b' } });
    expect(Object.getPrototypeOf(result.ok ? result.value : null)).toBe(Object.prototype);
    await expectHostUnaffected(sandbox, canary);
  });

  it('a Proxy result whose traps throw is INVALID_OUTPUT; one whose traps loop is TIMEOUT', async () => {
    const throwing = `export default () => new globalThis['Pro' + 'xy']({}, { ownKeys() { throw new Error('trap'); } });`;
    expect(await runProbe(sandbox, throwing)).toMatchObject({ ok: false, error: { code: 'INVALID_OUTPUT', message: expect.stringContaining('trap') } });
    const looping = `export default () => new globalThis['Pro' + 'xy']({}, { ownKeys() { for (;;) {} } });`;
    expect(await runProbe(sandbox, looping)).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a thrown Proxy is read inside the guest: traps that loop end as TIMEOUT, traps that throw as THROWN', async () => {
    const looping = `export default () => { throw new globalThis['Pro' + 'xy']({}, { get() { for (;;) {} } }); };`;
    expect(await runProbe(sandbox, looping)).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    const throwing = `export default () => { throw new globalThis['Pro' + 'xy']({}, { get() { throw new globalThis['Pro' + 'xy']({}, {}); } }); };`;
    expect(await runProbe(sandbox, throwing)).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringContaining('could not be read') } });
    const lying = `export default async () => { throw { name: 'HostError', get message() { return 'from a getter'; } }; };`;
    expect(await runProbe(sandbox, lying)).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringContaining('HostError: from a getter') } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('Symbol.species on a returned array subclass never runs; the host gets a plain host array', async () => {
    const source = `class Evil extends Array {
      static get [Symbol.species]() { throw new Error('species ran'); }
    }
    export default () => { const list = new Evil(); list.push(1, 2); return list; };`;
    const result = await runProbe(sandbox, source);
    expect(result).toMatchObject({ ok: true, value: [1, 2] });
    const value = result.ok ? (result.value as number[]) : [];
    expect(Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype).toBe(true);
    expect(value.map((item) => item * 2)).toEqual([2, 4]);
    await expectHostUnaffected(sandbox, canary);
  });

  it('a hijacked Promise (then, species) spoils only the tool’s own result', async () => {
    const source = `export default async () => {
      const P = globalThis['Prom' + 'ise'];
      Object.defineProperty(P, Symbol.species, { get() { throw new Error('species'); } });
      P['proto' + 'type'].then = function () { throw new Error('hijacked then'); };
      return 42;
    };`;
    expect(await runProbe(sandbox, source)).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringMatching(/species|hijacked then/) } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('custom inspect symbols are dropped in results and logs; the host never calls them', async () => {
    const source = `export default () => {
      const value = { a: 1, [Symbol.for('nodejs.util.inspect.custom')]: () => { for (;;) {} } };
      console.log(value);
      return value;
    };`;
    const result = await runProbe(sandbox, source);
    expect(result).toMatchObject({ ok: true, value: { a: 1 }, logs: ['{"a":1}'] });
    expect(inspect(result.ok ? result.value : null)).toBe('{ a: 1 }');
    await expectHostUnaffected(sandbox, canary);
  });

  it('"__proto__" and "constructor" keys arrive as inert own data properties', async () => {
    const source = `export default () => {
      const out = { constructor: { prototype: { polluted: true } } };
      Object.defineProperty(out, '__pro' + 'to__', { value: { polluted: true }, enumerable: true });
      return [out, JSON.parse('{"__proto__": {"polluted": true}}')];
    };`;
    const result = await runProbe(sandbox, source);
    expect(result.ok).toBe(true);
    const [out, parsed] = result.ok ? (result.value as Record<string, unknown>[]) : [];
    for (const value of [out, parsed]) {
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: true });
      expect(({ ...value } as Record<string, unknown>)['polluted']).toBeUndefined();
    }
    expect(Object.getOwnPropertyDescriptor(out, 'constructor')?.value).toEqual({ prototype: { polluted: true } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    await expectHostUnaffected(sandbox, canary);
  });

  it('a cyclic result is INVALID_OUTPUT', async () => {
    expect(await runProbe(sandbox, 'export default () => { const a = { b: {} }; a.b.a = a; return a; };')).toMatchObject({
      ok: false,
      error: { code: 'INVALID_OUTPUT', message: expect.stringContaining('circular') },
    });
    await expectHostUnaffected(sandbox, canary);
  });

  it.each([
    ['a function', '() => 1'],
    ['undefined', 'undefined'],
    ['a bigint', '10n'],
    ['a symbol', "Symbol('s')"],
    ['NaN', 'NaN'],
    ['a nested function', '({ ok: [1, () => 1] })'],
    ['a nested Infinity', '({ ratio: 1 / 0 })'],
  ])('a result that is or holds %s is INVALID_OUTPUT', async (_label, expression) => {
    expect(await runProbe(sandbox, `export default () => ${expression};`)).toMatchObject({ ok: false, error: { code: 'INVALID_OUTPUT' } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a result nested too deep for JSON is INVALID_OUTPUT, not a crash', async () => {
    const source = 'export default () => { let deep = []; for (let i = 0; i < 200000; i += 1) deep = [deep]; return deep; };';
    expect(await runProbe(sandbox, source, null, { timeoutMs: 2_000 })).toMatchObject({ ok: false, error: { code: 'INVALID_OUTPUT' } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a huge result is OUTPUT_TOO_LARGE, counted in UTF-8 bytes', async () => {
    expect(await runProbe(sandbox, "export default () => 'x'.repeat(9_000);")).toMatchObject({ ok: true });
    expect(await runProbe(sandbox, "export default () => 'x'.repeat(20_000);")).toMatchObject({ ok: false, error: { code: 'OUTPUT_TOO_LARGE' } });
    // 6,000 characters, 12,000 bytes: under the limit in characters, over it in bytes.
    expect(await runProbe(sandbox, "export default () => 'é'.repeat(6_000);")).toMatchObject({ ok: false, error: { code: 'OUTPUT_TOO_LARGE' } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('each run gets a fresh copy of the result; the host changing one changes nothing else', async () => {
    const tool = await sandbox.compile({ name: 'shared_state', source: 'const state = { list: [1] };\nexport default () => state;' });
    const first = await sandbox.run(tool, null);
    if (first.ok) (first.value as { list: number[] }).list.push(99);
    expect(await sandbox.run(tool, null)).toMatchObject({ ok: true, value: { list: [1] } });
    await expectHostUnaffected(sandbox, canary);
  });
});
