import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSandbox, type IsolatedSandbox } from '../index.js';

/** Grows a string-keyed Map until the isolate dies in the way isolated-vm cannot survive. */
const MAP_BOMB = 'export default () => { const m = new Map(); for (let i = 0; ; i++) m.set("key" + i, i); };';
/**
 * One builtin call that ignores isolated-vm's timeout for a long time: only the host watchdog
 * can stop it. (It allocates nothing, so a small memory limit cannot end it first, as it did
 * a giant `split` on isolated-vm 5.)
 */
const UNINTERRUPTIBLE = 'export default () => Array.prototype.indexOf.call({ length: 2 ** 40 }, 1);';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('supervised worker processes', () => {
  let sandbox: IsolatedSandbox;
  beforeAll(() => {
    sandbox = createSandbox({ memoryLimitMb: 16, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  it('replaces a worker that an isolate took down, reports MEMORY_LIMIT, and runs the queued calls', async () => {
    const bomb = await sandbox.compile({ name: 'map_bomb', source: MAP_BOMB });
    const echo = await sandbox.compile({ name: 'echo', source: 'export default (x: unknown) => x;' });
    // On a loaded machine isolated-vm sometimes stops the bomb inside the isolate (MEMORY_LIMIT,
    // the worker lives on); mostly V8 runs out first and the process ends. Bomb until it ends.
    for (let attempt = 1; ; attempt++) {
      const before = sandbox.stats();
      const [pid] = before.pids;
      const [bombed, ...queued] = await Promise.all([sandbox.run(bomb, null), sandbox.run(echo, 1), sandbox.run(echo, 2), sandbox.run(echo, 3)]);
      expect(bombed).toMatchObject({ ok: false, error: { code: 'MEMORY_LIMIT' } });
      expect(queued.map((result) => result.ok && result.value)).toEqual([1, 2, 3]);
      const after = sandbox.stats();
      if (after.restarts === before.restarts && attempt < 5) {
        expect(after.pids).toContain(pid);
        continue;
      }
      expect(after.restarts).toBe(before.restarts + 1);
      expect(after.pids).not.toContain(pid);
      expect(alive(pid as number)).toBe(false);
      break;
    }
  });

  it('kills a worker that misses the deadline, reports TIMEOUT, and starts a fresh one', async () => {
    const stuck = await sandbox.compile({ name: 'stuck', source: UNINTERRUPTIBLE });
    const echo = await sandbox.compile({ name: 'echo', source: 'export default (x: unknown) => x;' });
    const before = sandbox.stats();
    const result = await sandbox.run(stuck, null, { timeoutMs: 100 });
    expect(result).toMatchObject({ ok: false, error: { code: 'TIMEOUT', message: expect.stringContaining('was killed and replaced') } });
    expect(sandbox.stats().restarts).toBe(before.restarts + 1);
    expect(await sandbox.run(echo, 'still here')).toMatchObject({ ok: true, value: 'still here' });
  });

  it('reports CRASHED when the worker dies of anything else (here, an abort mid-run), and carries on', async () => {
    const waiting = await sandbox.compile({ name: 'waiting', source: 'export default () => new Promise(() => {});' });
    const echo = await sandbox.compile({ name: 'echo', source: 'export default (x: unknown) => x;' });
    await sandbox.run(echo, 'warm');
    const before = sandbox.stats();
    const [pid] = before.pids;
    const running = sandbox.run(waiting, null);
    const queued = sandbox.run(echo, 'after');
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(pid as number, 'SIGABRT');
    expect(await running).toMatchObject({ ok: false, error: { code: 'CRASHED', message: expect.stringContaining('SIGABRT') } });
    expect(await queued).toMatchObject({ ok: true, value: 'after' });
    expect(sandbox.stats().restarts).toBe(before.restarts + 1);
  });

  it('a batch survives a crash in its middle: that case fails, the ones after it run', async () => {
    const picky = await sandbox.compile({
      name: 'picky',
      source: 'export default (n: number) => { if (n === 3) { const m = new Map(); for (let i = 0; ; i++) m.set("k" + i, i); } return n * 10; };',
    });
    const results = await sandbox.runMany(picky, [1, 2, 3, 4, 5]);
    expect(results.map((result) => (result.ok ? result.value : result.error.code))).toEqual([10, 20, 'MEMORY_LIMIT', 40, 50]);
  });

  it('an abort signal ends a running call as TIMEOUT, and a queued one without running it', async () => {
    const never = await sandbox.compile({ name: 'never', source: 'export default () => { console.log("started"); return new Promise(() => {}); };' });
    const controller = new AbortController();
    const running = sandbox.run(never, null, { signal: controller.signal });
    const queued = sandbox.run(never, null, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const [first, second] = await Promise.all([running, queued]);
    expect(first).toMatchObject({ ok: false, error: { code: 'TIMEOUT', message: expect.stringContaining('aborted') } });
    expect(second).toMatchObject({ ok: false, error: { code: 'TIMEOUT' }, logs: [] });
    expect(await sandbox.run(never, null, { signal: AbortSignal.abort() })).toMatchObject({ ok: false, error: { code: 'TIMEOUT' }, logs: [] });
  });
});

describe('concurrency', () => {
  it('concurrent runs on several workers each get their own answer, hostile ones included', async () => {
    const sandbox = createSandbox({ workers: 2, timeoutMs: 150 });
    try {
      const square = await sandbox.compile({ name: 'square', source: 'export default async (n: number) => { await null; return n * n; };' });
      const tag = await sandbox.compile({ name: 'tag', source: 'let last = "";\nexport default (s: string) => { last = s; return "tag:" + last; };' });
      const loop = await sandbox.compile({ name: 'loop', source: 'export default () => { for (;;) {} };' });
      const calls = Array.from({ length: 60 }, (_, index) => {
        if (index % 20 === 7) return sandbox.run(loop, null).then((result) => (result.ok ? 'ok?' : result.error.code));
        if (index % 2 === 0) return sandbox.run(square, index).then((result) => (result.ok ? result.value : result.error.code));
        return sandbox.run(tag, `n${index}`).then((result) => (result.ok ? result.value : result.error.code));
      });
      const expected = Array.from({ length: 60 }, (_, index) => (index % 20 === 7 ? 'TIMEOUT' : index % 2 === 0 ? index * index : `tag:n${index}`));
      expect(await Promise.all(calls)).toEqual(expected);
      expect(sandbox.stats().workers).toBe(2);
    } finally {
      await sandbox.dispose();
    }
  });
});

describe('lifecycle', () => {
  it('lets go of every compiled tool and every result, and does not grow the host heap, over compile/run cycles', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // Objects only: code space grows for a while as V8 optimises more functions, which is not
    // memory anything holds on to.
    const heapAfterGc = (): number => {
      gc();
      gc();
      return getHeapSpaceStatistics()
        .filter((space) => !space.space_name.startsWith('code'))
        .reduce((total, space) => total + space.space_used_size, 0);
    };
    let toolsCollected = 0;
    let resultsCollected = 0;
    const tools = new FinalizationRegistry<number>(() => {
      toolsCollected += 1;
    });
    const results = new FinalizationRegistry<number>(() => {
      resultsCollected += 1;
    });
    const sandbox = createSandbox({ maxWarmTools: 4 });
    const cycle = async (index: number): Promise<void> => {
      const tool = await sandbox.compile({ name: 'cycle', source: `export default (x: string) => ({ text: x.repeat(4000), index: ${index} });` });
      tools.register(tool, index);
      const result = await sandbox.run(tool, 'abcd');
      if (!result.ok || (result.value as { index: number }).index !== index) throw new Error(`cycle ${index} went wrong`);
      results.register(result.value as object, index);
    };
    const warmUp = 60;
    const measured = 160;
    try {
      for (let index = 0; index < warmUp; index += 1) await cycle(index);
      const before = heapAfterGc();
      for (let index = warmUp; index < warmUp + measured; index += 1) await cycle(index);
      const growthPerCycle = (heapAfterGc() - before) / measured;
      // Finalisers run as tasks of their own some time after the collection that found the
      // object unreachable: a loaded machine runs them later, so wait for them (and collect again).
      await vi.waitFor(
        () => {
          gc();
          expect(toolsCollected).toBeGreaterThan((warmUp + measured) * 0.9);
          expect(resultsCollected).toBeGreaterThan((warmUp + measured) * 0.9);
        },
        { timeout: 10_000, interval: 50 },
      );
      // Each result holds 16 kB; keeping them would show many times over. While the JIT warms
      // up, V8's own bookkeeping adds a few hundred bytes a cycle (it levels off: see bench/).
      expect(growthPerCycle).toBeLessThan(4_096);
    } finally {
      await sandbox.dispose();
    }
  }, 180_000); // Hundreds of compile/run cycles with forced GCs: slow on a loaded 2-core machine.

  it('frees every worker process over create/dispose cycles', async () => {
    const pids: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      const short = createSandbox();
      const tool = await short.compile({ name: 'short', source: 'export default () => 1;' });
      await short.run(tool, null);
      pids.push(...short.stats().pids);
      await short.dispose();
    }
    expect(new Set(pids).size).toBe(5);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('an idle sandbox does not keep a program from exiting', async () => {
    const entry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const script = `
      const { createSandbox } = await import(${JSON.stringify(entry)});
      const sandbox = createSandbox();
      const tool = await sandbox.compile({ name: 'one', source: 'export default () => 1;' });
      const result = await sandbox.run(tool, null);
      console.log(JSON.stringify({ value: result.value, pid: sandbox.stats().pids[0] }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const { value, pid } = JSON.parse(output) as { value: number; pid: number };
    expect(value).toBe(1);
    // The worker notices its parent is gone and exits too.
    for (let attempt = 0; attempt < 50 && alive(pid); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid)).toBe(false);
  });
});
