import type { CompiledTool } from '@toolwright/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type IsolatedSandbox } from '../index.js';
import { ALLOWED_GUEST_GLOBALS, compileCanary, expectHostUnaffected, runProbe } from './probe-harness.js';

/**
 * Probes that try to reach the host realm: globals, prototype-chain climbs from every value
 * the host hands in, code generation, V8 stack-trace hooks. Attacker code dodges the static
 * gate with computed property names, so these exercise the isolate and the hardened global.
 */
const CODEGEN_REFUSED = 'EvalError: Code generation from strings is disabled in the Toolwright sandbox.';

describe('escape probes: the host realm is unreachable', () => {
  let sandbox: IsolatedSandbox;
  let canary: CompiledTool;
  beforeAll(async () => {
    sandbox = createSandbox({ timeoutMs: 2_000 });
    canary = await compileCanary(sandbox);
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  it('the guest global holds ECMAScript built-ins and the sandbox API, nothing of Node or isolated-vm', async () => {
    const result = await runProbe(sandbox, 'export default () => Reflect.ownKeys(globalThis).map(String);');
    expect(result.ok).toBe(true);
    const names = result.ok ? (result.value as string[]) : [];
    expect(names.filter((name) => !ALLOWED_GUEST_GLOBALS.has(name))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['console', 'fetch', 'setTimeout', 'clearTimeout', 'JSON']));
    await expectHostUnaffected(sandbox, canary);
  });

  it('host names and removed globals are absent, even looked up dynamically', async () => {
    const source = `export default () => {
      const g = globalThis;
      const names = ['pro' + 'cess', 'req' + 'uire', 'Buf' + 'fer', 'mod' + 'ule', 'exports', 'glo' + 'bal', 'set' + 'Interval', 'set' + 'Immediate',
        'queue' + 'Microtask', 'Shared' + 'ArrayBuffer', 'Ato' + 'mics', 'Weak' + 'Ref', 'Finalization' + 'Registry', 'Web' + 'Assembly', 'ev' + 'al',
        'Reference', 'ExternalCopy', 'Callback', 'Isolate', 'Context', 'ivm', '_ivm', 'lib', 'log', 'host'];
      const Err = g['Err' + 'or'];
      return { globals: names.filter((name) => g[name] !== undefined), capture: typeof Err['capture' + 'StackTrace'], prepare: typeof Err['prepare' + 'StackTrace'] };
    };`;
    expect(await runProbe(sandbox, source)).toMatchObject({ ok: true, value: { globals: [], capture: 'undefined', prepare: 'undefined' } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a constructor climb from the argument ends at the guest Function, which refuses to compile code', async () => {
    const source = `export default (input) => {
      const C = 'constr' + 'uctor';
      const F = input[C][C];
      let attempt;
      try { attempt = F('return typeof process')(); } catch (error) { attempt = error.name + ': ' + error.message; }
      return {
        argument: Object.getPrototypeOf(input) === Object.prototype,
        list: Object.getPrototypeOf(input.list) === Array.prototype,
        tamed: F === globalThis['Func' + 'tion'],
        attempt,
      };
    };`;
    expect(await runProbe(sandbox, source, { list: [1] })).toMatchObject({ ok: true, value: { argument: true, list: true, tamed: true, attempt: CODEGEN_REFUSED } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('async, generator and async-generator function constructors refuse too', async () => {
    const source = `export default () => {
      const C = 'constr' + 'uctor';
      const samples = [async () => 1, function* () {}, async function* () {}, () => 1];
      return samples.map((fn) => { try { fn[C]('return 1'); return 'compiled'; } catch (error) { return error.name + ': ' + error.message; } });
    };`;
    expect(await runProbe(sandbox, source)).toMatchObject({ ok: true, value: Array(4).fill(CODEGEN_REFUSED) });
    await expectHostUnaffected(sandbox, canary);
  });

  it('eval and Function reached dynamically cannot run strings', async () => {
    const source = `export default () => { const g = globalThis; return [typeof g['ev' + 'al'], g['Func' + 'tion']('return this')]; };`;
    const result = await runProbe(sandbox, source);
    expect(result).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringContaining(CODEGEN_REFUSED) } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('console functions (host-backed) climb to the guest realm only', async () => {
    const source = `export default () => {
      const C = 'constr' + 'uctor';
      const log = console.log;
      let attempt;
      try { attempt = log[C][C]('return this')(); } catch (error) { attempt = error.name + ': ' + error.message; }
      return { proto: Object.getPrototypeOf(log) === Object.getPrototypeOf(() => 1), frozen: Object.isFrozen(console), attempt, ownKeys: Reflect.ownKeys(log).map(String) };
    };`;
    const result = await runProbe(sandbox, source);
    expect(result).toMatchObject({ ok: true, value: { proto: true, frozen: true, attempt: CODEGEN_REFUSED } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('the timer functions climb to the guest realm only, and refuse strings as code', async () => {
    const source = `export default () => {
      const C = 'constr' + 'uctor';
      let stringTimer;
      try { setTimeout('globalThis.x = 1', 1); stringTimer = 'accepted'; } catch (error) { stringTimer = error.name; }
      let attempt;
      try { setTimeout[C]('return 1'); } catch (error) { attempt = error.name; }
      return { stringTimer, attempt, proto: Object.getPrototypeOf(clearTimeout) === Object.getPrototypeOf(() => 1) };
    };`;
    expect(await runProbe(sandbox, source)).toMatchObject({ ok: true, value: { stringTimer: 'TypeError', attempt: 'EvalError', proto: true } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('Error.prepareStackTrace cannot be installed to harvest CallSites (getThis, getFunction)', async () => {
    const source = `export default () => {
      const E = globalThis['Err' + 'or'];
      E['prepare' + 'StackTrace'] = (error, frames) => frames.map((frame) => [typeof frame.getThis(), typeof frame.getFunction(), frame.getFileName()]);
      return new E('probe').stack;
    };`;
    const result = await runProbe(sandbox, source);
    expect(result).toMatchObject({ ok: false, error: { code: 'THROWN', message: expect.stringMatching(/TypeError: .*read only property 'prepareStackTrace'/) } });
    const redefine = `export default () => {
      const E = globalThis['Err' + 'or'];
      Reflect.defineProperty(E, 'prepare' + 'StackTrace', { value: () => 'hooked' });
      return [String(new E('x').stack).slice(0, 5), Object.getOwnPropertyDescriptor(E, 'prepare' + 'StackTrace').writable];
    };`;
    expect(await runProbe(sandbox, redefine)).toMatchObject({ ok: true, value: ['Error', false] });
    await expectHostUnaffected(sandbox, canary);
  });

  it('stack traces and runtime errors name no host file', async () => {
    const source = `export default async () => {
      const traces = [];
      try { null.x; } catch (error) { traces.push(error.stack); }
      await fetch(42).catch((error) => traces.push(error.stack));
      try { setTimeout(null, 1); } catch (error) { traces.push(error.stack); }
      try { console.log({ toJSON() { throw new Error('inner'); } }); } catch (error) { traces.push('console threw ' + error.stack); }
      traces.push(new Error('here').stack);
      return traces.join('\\n');
    };`;
    const result = await runProbe(sandbox, source);
    expect(result).toMatchObject({ ok: true });
    const text = result.ok ? String(result.value) : '';
    expect(text).toContain('tool:///probe_');
    expect(text).not.toMatch(/\/work\/|node_modules|node:internal|worker\.js|isolated[-_]vm|\.ts:|\.node\b/);
    expect(text).not.toContain(process.cwd());
    expect(text).not.toContain('console threw');
    await expectHostUnaffected(sandbox, canary);
  });

  it('strict-mode walls hold: no .caller, .callee or arguments climbs into the runtime', async () => {
    const source = `export default () => ({
      toJSON() {
        const reads = [];
        for (const key of ['cal' + 'ler', 'cal' + 'lee', 'argu' + 'ments']) {
          try { reads.push(String(this.toJSON[key])); } catch (error) { reads.push(error.name); }
        }
        return reads;
      },
    });`;
    expect(await runProbe(sandbox, source)).toMatchObject({ ok: true, value: ['TypeError', 'undefined', 'TypeError'] });
    await expectHostUnaffected(sandbox, canary);
  });

  it('tampering with its own intrinsics cannot forge the serialised result or reach the host', async () => {
    const source = `export default () => {
      const g = globalThis;
      g['JS' + 'ON'].stringify = () => '"forged"';
      g['JS' + 'ON'].parse = () => ({ forged: true });
      g['Arr' + 'ay']['proto' + 'type'].join = () => 'forged';
      g['Obj' + 'ect']['proto' + 'type'].polluted = 'in the guest only';
      return { real: [1, 2], polluted: ({}).polluted };
    };`;
    expect(await runProbe(sandbox, source)).toMatchObject({ ok: true, value: { real: [1, 2], polluted: 'in the guest only' } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a string shaped like the worker protocol is just a string', async () => {
    for (const forged of ['V{"admin":true}', 'L99', 'T boom', 'P']) {
      expect(await runProbe(sandbox, `export default () => ${JSON.stringify(forged)};`)).toMatchObject({ ok: true, value: forged });
    }
    await expectHostUnaffected(sandbox, canary);
  });

  it('the argument is a copy: the guest mutating it changes nothing on the host', async () => {
    const input = { list: [1, 2], nested: { value: 'host' } };
    const source = `export default (input) => { input.list.push(3); input.nested.value = 'guest'; input.added = true; return input; };`;
    const result = await runProbe(sandbox, source, input);
    expect(result).toMatchObject({ ok: true, value: { list: [1, 2, 3], nested: { value: 'guest' }, added: true } });
    expect(input).toEqual({ list: [1, 2], nested: { value: 'host' } });
    await expectHostUnaffected(sandbox, canary);
  });
});
