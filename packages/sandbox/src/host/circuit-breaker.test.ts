import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type IsolatedSandbox } from '../index.js';

/** One builtin call that ignores isolated-vm's timeout: only the host watchdog stops it, by killing the worker. */
const HANG = 'Array.prototype.indexOf.call({ length: 2 ** 40 }, 1)';
/** Ends its worker on every call. */
const ALWAYS_KILLS = `export default () => ${HANG};`;
/** Ends its worker on "crash" (and on 3, for batches); answers otherwise. */
const SOMETIMES_KILLS = `export default (x: unknown) => (x === 'crash' || x === 3 ? ${HANG} : typeof x === 'number' ? x * 10 : x);`;

const sandboxes: IsolatedSandbox[] = [];
function sandboxWith(options: Parameters<typeof createSandbox>[0]): IsolatedSandbox {
  const sandbox = createSandbox({ timeoutMs: 100, ...options });
  sandboxes.push(sandbox);
  return sandbox;
}
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((sandbox) => sandbox.dispose()));
});

describe('the circuit breaker of a tool that ends its worker', () => {
  it('opens after `crashes` calls in a row that ended the worker: later calls fail at once with CRASHED, without running or restarting a worker', async () => {
    const sandbox = sandboxWith({ circuitBreaker: { crashes: 2, coolDownMs: 3_600_000 } });
    const killer = await sandbox.compile({ name: 'killer', source: ALWAYS_KILLS });
    const echo = await sandbox.compile({ name: 'echo', source: 'export default (x: unknown) => x;' });
    for (let call = 0; call < 2; call++) {
      expect(await sandbox.run(killer, null)).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    }
    const restarts = sandbox.stats().restarts;
    expect(restarts).toBe(2);

    const refused = await sandbox.run(killer, null);
    expect(refused).toMatchObject({ ok: false, error: { code: 'CRASHED', message: expect.stringContaining('circuit open') }, durationMs: 0 });
    // The same tool compiled again shares the circuit; a batch is refused whole.
    const again = await sandbox.compile({ name: 'killer', source: ALWAYS_KILLS });
    expect((await sandbox.runMany(again, [1, 2, 3])).map((result) => !result.ok && result.error.message.includes('circuit open'))).toEqual([true, true, true]);
    expect(sandbox.stats().restarts).toBe(restarts);
    // Other tools are not affected.
    expect(await sandbox.run(echo, 'fine')).toMatchObject({ ok: true, value: 'fine' });
  });

  it('after the cool-down lets one call through: one that ends its worker opens it again, one that does not closes it', async () => {
    const sandbox = sandboxWith({ circuitBreaker: { crashes: 2, coolDownMs: 1 } });
    const tool = await sandbox.compile({ name: 'flaky', source: SOMETIMES_KILLS });
    await sandbox.run(tool, 'crash');
    await sandbox.run(tool, 'crash');
    await pause(20);
    // The probe ends its worker again: open for another cool-down.
    expect(await sandbox.run(tool, 'crash')).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    await pause(20);
    // The probe answers: closed.
    expect(await sandbox.run(tool, 'ok')).toMatchObject({ ok: true, value: 'ok' });
    expect(await sandbox.run(tool, 'still ok')).toMatchObject({ ok: true, value: 'still ok' });
    // Counting starts over: one crash does not open it.
    expect(await sandbox.run(tool, 'crash')).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(await sandbox.run(tool, 'fine')).toMatchObject({ ok: true, value: 'fine' });
  });

  it('is off with circuitBreaker: false', async () => {
    const sandbox = sandboxWith({ circuitBreaker: false });
    const killer = await sandbox.compile({ name: 'killer', source: ALWAYS_KILLS });
    for (let call = 0; call < 4; call++) expect(await sandbox.run(killer, null)).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(sandbox.stats().restarts).toBe(4);
  });
});

describe('runMany with a case that ends its worker', () => {
  it('once a tool ended a worker, its batches report each result: the case that ends the worker again runs once', async () => {
    const sandbox = sandboxWith({ circuitBreaker: false });
    const tool = await sandbox.compile({ name: 'picky', source: SOMETIMES_KILLS });
    const first = await sandbox.runMany(tool, [1, 2, 3, 4, 5]);
    expect(first.map((result) => (result.ok ? result.value : result.error.code))).toEqual([10, 20, 'TIMEOUT', 40, 50]);
    const before = sandbox.stats().restarts;
    const second = await sandbox.runMany(tool, [6, 3, 7, 8]);
    expect(second.map((result) => (result.ok ? result.value : result.error.code))).toEqual([60, 'TIMEOUT', 70, 80]);
    // One restart: the case ran once (a grouped batch would have run it again to find it).
    expect(sandbox.stats().restarts).toBe(before + 1);
  });
});
