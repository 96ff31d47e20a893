import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CompiledTool } from '@toolwright/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type IsolatedSandbox } from '../index.js';
import { countJsonNodes } from '../output-budget.js';
import { compileCanary, expectHostUnaffected, outcome } from './probe-harness.js';

/**
 * Issue 22 (second red-team pass): outputs just under `maxOutputBytes` made of tiny objects
 * (`[{},{},…]`) grow the host heap about twenty-fold once parsed, so sixteen of them took a
 * 256 MB host down; and a worker kept any number of warm isolates, however much each held.
 * Results are now counted (bytes and JSON nodes) before the host parses them, per result and
 * per call, and a worker's warm isolates share a memory budget.
 */

/** A tool whose result is `n` empty objects: about 3 bytes of JSON each, some 60 bytes of heap once parsed. */
const TINY_OBJECTS = 'export default (n) => { console.log("ran " + n); return Array.from({ length: n }, () => ({})); };';

/** Runs `script` (an ES module with the built package's entry as `entry`) in a fresh Node with a 256 MB heap. */
async function inSmallHost(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const entry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  const child = spawn(process.execPath, ['--max-old-space-size=256', '--input-type=module', '-e', `const entry = ${JSON.stringify(entry)};\n${script}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('issue 22: no host OOM from what tools return', () => {
  let sandbox: IsolatedSandbox;
  let canary: CompiledTool;
  beforeAll(async () => {
    sandbox = createSandbox({ timeoutMs: 10_000, maxOutputBytes: 64_000, maxOutputNodes: 1_000, maxBatchOutputNodes: 2_500, maxBatchOutputBytes: 64_000 });
    canary = await compileCanary(sandbox);
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('sixteen outputs of tiny objects just under maxOutputBytes leave a 256 MB host up, refused with OUTPUT_TOO_LARGE', async () => {
    // 333,000 empty objects: 999,999 bytes of JSON, under the default 1,000,000-byte cap.
    const { code, stdout, stderr } = await inSmallHost(`
      const { createSandbox } = await import(entry);
      const sandbox = createSandbox({ timeoutMs: 20000 });
      const tool = await sandbox.compile({ name: 'tiny_objects', source: ${JSON.stringify(TINY_OBJECTS)} });
      const results = await sandbox.runMany(tool, Array(16).fill(333333));
      const batch = await sandbox.runMany(tool, Array(12).fill(99000));
      const heapMb = Math.round(process.memoryUsage().heapUsed / 1048576);
      console.log(JSON.stringify({
        single: results.map((result) => result.ok ? 'ok' : result.error.code),
        singleMessage: results[0].ok ? '' : results[0].error.message,
        batch: batch.map((result) => result.ok ? 'ok' : result.error.code),
        batchMessages: batch.filter((result) => !result.ok).map((result) => result.error.message).slice(0, 2),
        batchLogs: batch.map((result) => result.logs.length),
        heapMb,
      }));
      await sandbox.dispose();
    `);
    expect(stderr).not.toMatch(/heap out of memory|Allocation failed/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { single: string[]; singleMessage: string; batch: string[]; batchMessages: string[]; batchLogs: number[]; heapMb: number };
    expect(report.single).toEqual(Array(16).fill('OUTPUT_TOO_LARGE'));
    expect(report.singleMessage).toMatch(/holds more than 100000 JSON values .*maxOutputNodes = 100000\. Return fewer, larger values/);
    // Each of these fits maxOutputNodes; five of them fill the call's 500,000 nodes, and the rest are not run.
    expect(report.batch.slice(0, 5)).toEqual(Array(5).fill('ok'));
    expect(report.batch.slice(5)).toEqual(Array(7).fill('OUTPUT_TOO_LARGE'));
    expect(report.batchMessages[0]).toMatch(/does not fit in what is left of this call's output budget/);
    expect(report.batchMessages[1]).toMatch(/was not run on this case: .*Run fewer cases per call/);
    expect(report.batchLogs.slice(6)).toEqual(Array(6).fill(0));
  }, 120_000); // A fresh Node building 16 × 333,000 objects in isolates: some 10 s quiet, several times that on a loaded 2-core machine.

  it('a result with more JSON nodes than maxOutputNodes is OUTPUT_TOO_LARGE, with what to do', async () => {
    const tool = await sandbox.compile({ name: 'tiny_objects', source: TINY_OBJECTS });
    expect(await sandbox.run(tool, 999)).toMatchObject({ ok: true });
    const refused = await sandbox.run(tool, 1_001);
    expect(refused).toMatchObject({ ok: false, error: { code: 'OUTPUT_TOO_LARGE', message: expect.stringContaining('maxOutputNodes = 1000') } });
    await expectHostUnaffected(sandbox, canary);
  });

  it('a batch stops at its output budget: the case that does not fit and every later one are refused, and those are not run', async () => {
    const tool = await sandbox.compile({ name: 'tiny_objects', source: TINY_OBJECTS });
    const results = await sandbox.runMany(tool, [900, 900, 900, 10, 10]);
    expect(results.map(outcome)).toEqual(['ok', 'ok', 'OUTPUT_TOO_LARGE', 'OUTPUT_TOO_LARGE', 'OUTPUT_TOO_LARGE']);
    expect(results.map((result) => result.logs)).toEqual([['ran 900'], ['ran 900'], ['ran 900'], [], []]);
    // The budget is per call: the next call starts afresh.
    expect(outcome(await sandbox.run(tool, 900))).toBe('ok');
    await expectHostUnaffected(sandbox, canary);
  });

  it('logs count against the call’s bytes too: a flood of log lines over many cases is cut, not kept', async () => {
    const tool = await sandbox.compile({ name: 'chatty', source: 'export default (n) => { for (let i = 0; i < 100; i++) console.log("x".repeat(200)); return n; };' });
    const results = await sandbox.runMany(tool, [1, 2, 3, 4, 5]);
    expect(results.map(outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const kept = results.map((result) => result.logs.length);
    expect(kept.slice(0, 3)).toEqual([100, 100, 100]);
    expect(results[4]?.logs).toEqual([expect.stringContaining('log line(s) dropped: the results of this call together are over its 64000-byte output budget')]);
    await expectHostUnaffected(sandbox, canary);
  });

  it('counts JSON nodes without parsing: keys, strings with escapes, numbers and literals', () => {
    expect(countJsonNodes('{"a":[1,-2.5e3,true,false,null],"b\\"c":"x\\\\","d":{}}', 100)).toBe(12);
    expect(countJsonNodes('[{},{},{}]', 100)).toBe(4);
    expect(countJsonNodes('[{},{},{}]', 2)).toBe(3);
    expect(countJsonNodes('"[{}]"', 100)).toBe(1);
  });
});

describe('issue 22: a worker’s warm isolates share a memory budget', () => {
  it('unloads the least recently used tools to stay under maxWorkerMemoryMb; the ones in use stay warm', async () => {
    const small = createSandbox({ memoryLimitMb: 40, maxWorkerMemoryMb: 64, timeoutMs: 10_000 });
    try {
      // Each holds 24 MiB (an ArrayBuffer, counted against its isolate) and counts its calls.
      const source = 'const ballast = new Float64Array(3_000_000);\nlet calls = 0;\nexport default () => { ballast[calls] = 1; return ++calls; };';
      const tools = [];
      for (let index = 0; index < 4; index += 1) tools.push(await small.compile({ name: `ballast_${index}`, source }));
      for (const tool of tools) expect(await small.run(tool, null)).toMatchObject({ ok: true, value: 1 });
      const [first, , , last] = tools as [CompiledTool, CompiledTool, CompiledTool, CompiledTool];
      // The most recent one kept its state; the oldest was unloaded and starts over.
      expect(await small.run(last, null)).toMatchObject({ ok: true, value: 2 });
      expect(await small.run(first, null)).toMatchObject({ ok: true, value: 1 });
      expect(small.stats().restarts).toBe(0);
    } finally {
      await small.dispose();
    }
  });

  it('refuses a worker budget below one isolate’s limit, saying what to change', () => {
    expect(() => createSandbox({ memoryLimitMb: 64, maxWorkerMemoryMb: 32 })).toThrow(/maxWorkerMemoryMb \(32\) is below memoryLimitMb \(64\)/);
    expect(() => createSandbox({ maxOutputBytes: 2_000, maxBatchOutputBytes: 1_000 })).toThrow(/maxBatchOutputBytes \(1000\) is below maxOutputBytes \(2000\)/);
    expect(createSandbox().options).toMatchObject({ maxOutputNodes: 100_000, maxBatchOutputNodes: 500_000, maxBatchOutputBytes: 16 * 1024 * 1024, maxWorkerMemoryMb: 256 });
  });
});
