import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chatCompletion, startChatServer } from '@toolwright/core/testing';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { modelFromEnvironment, type DemoReport } from './demo.js';

// The demo end to end, offline, as the README's first command runs it: the built entry point,
// a fresh SQLite file, the JSON report on stdout. Then a second run on the same file.
const run = promisify(execFile);
const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
const toolwrightBin = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@toolwright', 'cli', 'dist', 'cli.js');
const directory = mkdtempSync(join(tmpdir(), 'toolwright-demo-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const database = `sqlite:${join(directory, 'demo.sqlite')}`;

async function demo(): Promise<DemoReport> {
  const env = { ...process.env };
  delete env['OPENAI_API_KEY'];
  delete env['TOOLWRIGHT_BASE_URL'];
  const { stdout } = await run(process.execPath, [main, '--json', '--db', database], { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as DemoReport;
}

describe('the demo, offline', () => {
  it('builds 3 tools and reuses 1 with 4/4 exact answers, and repairs, promotes, rolls back and forward the network tool', async () => {
    const report = await demo();
    const a = report.scenarioA;
    expect(report.reusedEarlierRun).toBe(false);
    expect(a.exact).toBe(4);
    expect(a.built).toBe(3);
    expect(a.reused).toBe(1);
    expect(a.rows.map((row) => row.tool)).toEqual(['built', 'built', 'built', 'reused']);
    expect(a.rows[3]?.toolName).toBe(a.rows[0]?.toolName);
    expect(a.rows.every((row) => row.tokens === 0)).toBe(true);
    expect(a.realModel).toBeUndefined();

    const b = report.scenarioB;
    expect(b.repairedEarlier).toBe(false);
    expect(b.promotedVersion).toBe(2);
    expect(b.approvedBy).toBe('demo-operator');
    expect(b.v1?.successRate).toBeLessThan(0.5);
    expect(b.v2?.successRate).toBe(1);
    expect((b.v2?.successRate ?? 0) - (b.v1?.successRate ?? 0)).toBeGreaterThanOrEqual(0.5);
    expect(b.v2?.correct).toBe(b.v2?.calls);
    expect(b.v2?.score).toBeGreaterThan(b.v1?.score ?? 1);
    expect(b.diff).toContain('+++ fetch_exchange_rate@2');
    expect(b.activeAfterRollback).toBe(1);
    expect(b.activeAfterForward).toBe(2);
    expect(b.history.map((version) => [version.version, version.status])).toEqual([
      [1, 'retired'],
      [2, 'active'],
    ]);
    // v2 was chosen by the offline model through the model rewriter, from the diagnosis.
    expect(b.history[1]?.author).toBe('model:offline-synthesis');
    expect(b.history[1]?.reason).toMatch(/recent errors are transient \(.*HTTP 429.*\).*Retry: transient failures/);
    expect(report.durationMs).toBeGreaterThan(0);
  });

  it('is inspectable with the toolwright CLI: tools, history, diff, report, approvals', async () => {
    const cli = async (...args: string[]): Promise<unknown> => {
      const { stdout } = await run(process.execPath, [toolwrightBin, ...args, '--db', database, '--json'], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
      return JSON.parse(stdout) as unknown;
    };
    const list = JSON.stringify(await cli('tools', 'list'));
    for (const name of ['fetch_exchange_rate', 'sum_fares_price']) expect(list).toContain(name);
    const history = JSON.stringify(await cli('tools', 'history', 'fetch_exchange_rate'));
    expect(history).toContain('"retired"');
    expect(history).toContain('demo: forward to v2 again');
    const diff = JSON.stringify(await cli('tools', 'diff', 'fetch_exchange_rate', '1', '2'));
    expect(diff).toContain('fetchWithRetry');
    const report = JSON.stringify(await cli('report'));
    expect(report).toContain('fetch_exchange_rate');
    const approvals = JSON.stringify(await cli('approvals', 'list', '--status', 'applied'));
    expect(approvals).toContain('demo-operator');
  });

  it('reuses the tools of the first run on a second run over the same database, and says so', async () => {
    const report = await demo();
    expect(report.reusedEarlierRun).toBe(true);
    expect(report.toolsBefore).toHaveLength(4);
    expect(report.scenarioA.exact).toBe(4);
    expect(report.scenarioA.built).toBe(0);
    expect(report.scenarioA.rows.map((row) => row.tool)).toEqual(Array(4).fill('reused from an earlier run'));
    expect(report.scenarioB.repairedEarlier).toBe(true);
    expect(report.scenarioB.measuredAfterForward?.successRate).toBe(1);
  });

  it('prints the offline table alone when no model is configured', async () => {
    const env = { ...process.env };
    delete env['OPENAI_API_KEY'];
    delete env['TOOLWRIGHT_BASE_URL'];
    const { stdout } = await run(process.execPath, [main, '--db', database], { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toMatch(/^task {2,}answer {2,}truth {2,}exact {2,}tool {2,}tokens {2,}ms *$/m);
    expect(stdout).toMatch(/^Total the fares\. {2,}3228\.87 {2,}3228\.87 {2,}yes {2,}reused from an earlier run \(sum_fares_price\) {2,}0 {2,}\d+ *$/m);
    expect(stdout).toContain('4/4 exact; 0 tool(s) built, 4 reused (tools from an earlier run on this database were reused).');
    expect(stdout).not.toContain('static baseline');
    expect(stdout).toContain('=== Scenario C: live experiments ===');
    expect(stdout).toMatch(/^whole-cent rewrite {2,}v1 {2,}v2 {2,}10 % → 50 % → 100 % .* completed {2,}widen-rollout\.applied, widen-rollout\.applied {2,}v2 *$/m);
    expect(stdout).toMatch(/^fast-path rewrite \(worse\) {2,}v2 {2,}v3 .* rolled-back {2,}rollback\.applied {2,}v2 *$/m);
    expect(stdout).toContain('chosen: total_rounded');
  });
});

describe('modelFromEnvironment', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('names no model without OPENAI_API_KEY or TOOLWRIGHT_BASE_URL (empty counts as unset)', () => {
    expect(modelFromEnvironment({})).toBeUndefined();
    expect(modelFromEnvironment({ OPENAI_API_KEY: '', TOOLWRIGHT_BASE_URL: '', TOOLWRIGHT_MODEL: 'llama3.1' })).toBeUndefined();
  });

  it('uses OpenAI with OPENAI_API_KEY alone, gpt-4o-mini unless TOOLWRIGHT_MODEL says otherwise', () => {
    expect(modelFromEnvironment({ OPENAI_API_KEY: 'sk-test' })).toMatchObject({ provider: 'openai', modelId: 'gpt-4o-mini' });
    expect(modelFromEnvironment({ OPENAI_API_KEY: 'sk-test', TOOLWRIGHT_MODEL: 'gpt-4.1' })).toMatchObject({ provider: 'openai', modelId: 'gpt-4.1' });
  });

  it('refuses TOOLWRIGHT_BASE_URL without TOOLWRIGHT_MODEL, saying what to set', () => {
    const environment = { TOOLWRIGHT_BASE_URL: 'http://127.0.0.1:11434/v1' };
    expect(() => modelFromEnvironment(environment)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('TOOLWRIGHT_MODEL') }));
  });

  it('talks to a local server at TOOLWRIGHT_BASE_URL with no API key, even with an empty OPENAI_API_KEY in the process', async () => {
    // An empty OPENAI_API_KEY (e.g. from a .env template) made the openai client refuse to start.
    vi.stubEnv('OPENAI_API_KEY', '');
    const server = await startChatServer(() => chatCompletion({ content: '42', usage: { promptTokens: 7, completionTokens: 1 } }));
    try {
      const model = modelFromEnvironment({ TOOLWRIGHT_BASE_URL: server.baseURL, TOOLWRIGHT_MODEL: 'llama3.1', OPENAI_API_KEY: '' });
      expect(model).toMatchObject({ provider: 'openai-compatible', modelId: 'llama3.1' });
      const result = await model?.generate({ messages: [{ role: 'user', content: 'Six times seven?' }] });
      expect(result).toMatchObject({ text: '42', usage: { inputTokens: 7, outputTokens: 1 } });
      expect(server.requests.map((request) => [request.path, (request.body as { model?: string }).model])).toEqual([['/v1/chat/completions', 'llama3.1']]);
    } finally {
      await server.close();
    }
  });
});
