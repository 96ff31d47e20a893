import type { Sandbox, ToolLanguage } from '@toolwright/core';
import { type FlakyService, flakyServicePrice, startFlakyService } from '@toolwright/core/testing';
import { createSandbox } from '@toolwright/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnosisWith, toolVersion } from './test-support/fixtures.js';
import { createTransformRewriter } from './transform-rewriter.js';

// The rewritten sources must pass the sandbox's static gate and work inside an isolate, not only in Node.
const QUOTE: Record<ToolLanguage, string> = {
  js: 'export default async function getQuote({ key }) {\n  const response = await fetch(`ORIGIN/quote?key=${key}`);\n  if (!response.ok) throw new Error(`HTTP ${response.status}`);\n  return (await response.json()).price;\n}\n',
  ts: 'export default async function getQuote({ key }: { key: string }): Promise<number> {\n  const response = await fetch(`ORIGIN/quote?key=${key}`);\n  if (!response.ok) throw new Error(`HTTP ${response.status}`);\n  return ((await response.json()) as { price: number }).price;\n}\n',
};

describe('transformed sources in the real sandbox', () => {
  let primary: FlakyService;
  let secondary: FlakyService;
  let sandbox: Sandbox;
  beforeAll(async () => {
    // The primary answers 503 to every other request and hangs on the rest; the secondary always answers.
    primary = await startFlakyService({ schedule: ({ attempt }) => (attempt % 2 === 1 ? { status: 503 } : { status: 200, delayMs: 60_000 }) });
    secondary = await startFlakyService();
    // Deadlines are generous so a loaded machine cannot turn a slow loopback answer into a failure:
    // what is proven is the path (timeout → retry → secondary origin), not a speed.
    sandbox = createSandbox({ timeoutMs: 20_000, capabilities: { fetch: { allow: [primary.origin, secondary.origin] } } });
  });
  afterAll(async () => {
    await sandbox.dispose();
    await primary.close();
    await secondary.close();
  });

  it.each(['js', 'ts'] as const)('timeout + retry + fallback (%s) compiles and recovers through the secondary origin', async (language) => {
    const artifact = toolVersion({
      source: QUOTE[language].replace('ORIGIN', primary.origin),
      language,
      capabilities: [{ kind: 'fetch', origins: [primary.origin, secondary.origin], fallbacks: { [primary.origin]: secondary.origin } }],
    });
    const rewriter = createTransformRewriter({ timeout: { callTimeoutMs: 2_000 }, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    const [candidate] = await rewriter.propose({
      artifact,
      diagnosis: diagnosisWith('get_quote', [{ kind: 'failure-rate', message: 'success rate 0.40', observed: 0.4 }]),
      evidence: { recentErrors: [{ code: 'TIMEOUT', message: 'the run exceeded 1000 ms' }, { code: 'THROWN', message: 'Error: HTTP 503' }], failingInputs: [], cases: [] },
    });
    expect(candidate?.author.id).toBe('transform-rewriter:timeout+retry+fallback');
    const key = `key-${language}`;
    const before = await sandbox.run(await sandbox.compile({ name: 'get_quote', source: artifact.source, language, capabilities: artifact.spec?.capabilities ?? [] }), { key });
    expect(before).toMatchObject({ ok: false, error: { code: 'THROWN' } });
    const tool = await sandbox.compile({ name: 'get_quote', source: candidate?.source ?? '', language, capabilities: candidate?.spec.capabilities ?? [] });
    const after = await sandbox.run(tool, { key });
    expect(after).toMatchObject({ ok: true, value: flakyServicePrice(key) });
    expect(secondary.requests).toContain(`/quote?key=${key}`);
  });

  it.each(['js', 'ts'] as const)('memoise (%s) compiles, and a compiled tool remembers results across runs', async (language) => {
    const source =
      language === 'ts'
        ? 'let calls = 0;\nexport default function countCalls(input: { a: number }): number {\n  calls += 1;\n  return calls;\n}\n'
        : 'let calls = 0;\nexport default function countCalls(input) {\n  calls += 1;\n  return calls;\n}\n';
    const artifact = toolVersion({ name: 'count_calls', source, language, inputSchema: { type: 'object' } });
    const [candidate] = await createTransformRewriter().propose({
      artifact,
      diagnosis: diagnosisWith('count_calls', [{ kind: 'latency', message: 'mean latency 3000 ms', observed: 3000 }]),
      evidence: { recentErrors: [], failingInputs: [], cases: [] },
    });
    const tool = await sandbox.compile({ name: 'count_calls', source: candidate?.source ?? '', language });
    const values = await sandbox.runMany(tool, [{ a: 1 }, { a: 1 }, { a: 2 }, { a: 1 }]);
    expect(values.map((result) => (result.ok ? result.value : result.error.code))).toEqual([1, 1, 2, 1]);
  });
});
