import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type IsolatedSandbox } from '../index.js';
import { startTestServer, type TestServer } from '../test-support/http-server.js';

/**
 * A batch whose worker dies mid-way (issue 15): the worker's progress record tells the host
 * which case was running, so that case alone fails, with a code that says why, and it is not
 * run a second time; the finished cases keep their results, the rest run on a fresh worker.
 * Each case reports itself to a loopback server first, which counts how often each one ran.
 */
describe('a worker that dies in the middle of a batch', () => {
  let server: TestServer;
  let sandbox: IsolatedSandbox;
  /** Requests to /hold are answered only when the test releases them. */
  const held: (() => void)[] = [];

  beforeAll(async () => {
    server = await startTestServer((request, response) => {
      if (request.url.startsWith('/hold')) held.push(() => response.end('late'));
      else response.end('ok');
    });
    sandbox = createSandbox({ memoryLimitMb: 16, timeoutMs: 20_000, circuitBreaker: false, capabilities: { fetch: { allow: [server.origin] } } });
  });
  afterAll(async () => {
    await sandbox.dispose();
    for (const release of held) release();
    await server.close();
  });

  const runsOf = (path: string): number => server.requests.filter((request) => request.url === path).length;

  it('killed from outside while case 3 runs: only case 3 fails (CRASHED, naming the signal), and it ran once', async () => {
    const tool = await sandbox.compile({
      name: 'reporting',
      source: `export default async (n: number) => {
        await fetch(${JSON.stringify(server.origin)} + '/killed/' + n);
        if (n === 3) await fetch(${JSON.stringify(server.origin)} + '/hold/' + n);
        return n * 10;
      };`,
      capabilities: [{ kind: 'fetch', origins: [server.origin] }],
    });
    await sandbox.run(tool, 0);
    const [pid] = sandbox.stats().pids;
    const batch = sandbox.runMany(tool, [1, 2, 3, 4, 5, 6]);
    while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    process.kill(pid as number, 'SIGKILL');
    const results = await batch;
    expect(results.map((result) => (result.ok ? result.value : result.error.code))).toEqual([10, 20, 'CRASHED', 40, 50, 60]);
    expect(results[2]).toMatchObject({ ok: false, error: { code: 'CRASHED', message: expect.stringContaining('SIGKILL') } });
    expect(runsOf('/killed/3')).toBe(1);
    for (const n of [4, 5, 6]) expect(runsOf(`/killed/${n}`)).toBe(1);
    expect(sandbox.stats().pids).not.toContain(pid);
  });

  it('a case that takes the worker down (out of memory) fails alone as MEMORY_LIMIT, runs once, and the batch goes on', async () => {
    const tool = await sandbox.compile({
      name: 'bomb_at_two',
      source: `export default async (n: number) => {
        await fetch(${JSON.stringify(server.origin)} + '/bomb/' + n);
        if (n === 2) { const m = new Map(); for (let i = 0; ; i++) m.set("key" + i, i); }
        return n;
      };`,
      capabilities: [{ kind: 'fetch', origins: [server.origin] }],
    });
    const results = await sandbox.runMany(tool, [0, 1, 2, 3, 4]);
    expect(results.map((result) => (result.ok ? result.value : result.error.code))).toEqual([0, 1, 'MEMORY_LIMIT', 3, 4]);
    expect(runsOf('/bomb/2')).toBe(1);
    // A second batch of the same tool: again one run of the crashing case.
    const again = await sandbox.runMany(tool, [2, 5]);
    expect(again.map((result) => (result.ok ? result.value : result.error.code))).toEqual(['MEMORY_LIMIT', 5]);
    expect(runsOf('/bomb/2')).toBe(2);
  });

  it('aborted mid-batch: the running case and every case not run yet fail as TIMEOUT, the finished ones keep their results', async () => {
    const tool = await sandbox.compile({
      name: 'aborted_batch',
      source: `export default async (n: number) => {
        if (n === 2) await fetch(${JSON.stringify(server.origin)} + '/hold/aborted');
        return n;
      };`,
      capabilities: [{ kind: 'fetch', origins: [server.origin] }],
    });
    await sandbox.run(tool, 0);
    const before = held.length;
    const controller = new AbortController();
    const batch = sandbox.runMany(tool, [0, 1, 2, 3, 4], { signal: controller.signal });
    while (held.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const results = await batch;
    expect(results.slice(0, 2).map((result) => result.ok && result.value)).toEqual([0, 1]);
    for (const result of results.slice(2)) expect(result).toMatchObject({ ok: false, error: { code: 'TIMEOUT', message: expect.stringContaining('aborted') } });
  });
});
