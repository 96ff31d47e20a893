import { type ArtifactVersion, type JsonValue, type RunResult, type Sandbox, type ToolSummary, contentHash } from '@toolwright/core';
import { type FlakyService, flakyServicePrice, startFlakyService } from '@toolwright/core/testing';
import { createEvaluator } from '@toolwright/evaluator';
import { type Database, createMemory, openDatabase } from '@toolwright/memory';
import { createTransformRewriter } from '@toolwright/rewriter';
import { createSandbox } from '@toolwright/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegressionRunner } from './regression-runner.js';
import { toolVersion } from './test-support/tools.js';

const KEYS = ['ams', 'ber', 'cph', 'dub', 'lis', 'osl'];
const RUN_TIMEOUT_MS = 1_500;
const SLOW_MS = 4_000;

/** v1 as a model might have written it: one plain fetch, no resilience. */
const V1 = `interface QuoteInput {
  key: string;
}

/** The price of a key at the quote service. */
export default async function getQuote({ key }: QuoteInput): Promise<number> {
  const response = await fetch(\`ORIGIN/quote?key=\${encodeURIComponent(key)}\`);
  if (!response.ok) throw new Error(\`quote service answered HTTP \${response.status}\`);
  const body = (await response.json()) as { price: number };
  return body.price;
}
`;

describe('the improvement chain on a real flaky tool', () => {
  let service: FlakyService;
  let sandbox: Sandbox;
  let db: Database;

  beforeAll(async () => {
    // Per key, on a schedule: a 429, then an answer slower than the run's deadline, then a fast answer; and again.
    service = await startFlakyService({ schedule: ({ attempt }) => [{ status: 429 }, { status: 200, delayMs: SLOW_MS }, { status: 200 }][(attempt - 1) % 3] ?? { status: 500 } });
    sandbox = createSandbox({ timeoutMs: RUN_TIMEOUT_MS, capabilities: { fetch: { allow: [service.origin] } } });
    db = await openDatabase('sqlite::memory:');
    // Start the sandbox's worker before measuring, so no measured run pays for the cold start.
    const warm = await sandbox.compile({ name: 'warm_up', source: 'export default () => 1;' });
    await sandbox.runMany(warm, KEYS.map(() => ({})));
  });
  afterAll(async () => {
    await sandbox?.dispose();
    await db?.close();
    await service?.close();
  });

  it('measures v1, flags it, rewrites it, proves v2 on stored and held-out cases, and v2 measures better', async () => {
    const memory = await createMemory({ database: db });
    const regression = createRegressionRunner({ sandbox, database: db, heldOutShare: 0.35 });
    const v1 = toolVersion({
      name: 'get_quote',
      language: 'ts',
      source: V1.replace('ORIGIN', service.origin),
      capabilities: [{ kind: 'fetch', origins: [service.origin] }],
      inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
    });

    /** Serves three rounds of live traffic through the sandbox: every call is measured, successful ones are captured. */
    const serve = async (version: ArtifactVersion, source = version.source): Promise<ToolSummary> => {
      const tool = await sandbox.compile({ name: version.name, source, language: 'ts', capabilities: version.spec?.capabilities ?? [] });
      for (let round = 0; round < 3; round += 1) {
        const inputs: JsonValue[] = KEYS.map((key) => ({ key }));
        const startedAt = Date.now();
        const results: RunResult[] = await sandbox.runMany(tool, inputs);
        for (const [index, result] of results.entries()) {
          const input = inputs[index] as JsonValue;
          memory.record({
            tool: version.name,
            version: version.version,
            startedAt,
            durationMs: result.durationMs,
            outcome: result.ok ? { ok: true } : { ok: false, error: result.error },
            inputHash: contentHash(input),
            ...(result.ok ? { outputHash: contentHash(result.value) } : {}),
          });
          await regression.capture({ tool: version.name, version: version.version, input, result });
        }
      }
      await memory.flush();
      return memory.summary(version.name, { version: version.version, lastN: 100 });
    };

    // 1. v1, measured through the sandbox.
    const before = await serve(v1);
    expect(before.count).toBe(18);
    expect(before.errors.map((error) => error.code).sort()).toEqual(['THROWN', 'TIMEOUT']);

    // 2. The evaluator flags it.
    const diagnosis = createEvaluator().evaluate(before);
    expect(diagnosis.needsRewrite).toBe(true);
    expect(diagnosis.reasons.map((reason) => reason.kind)).toContain('failure-rate');

    // 3. The transform rewriter proposes v2 from the visible evidence only.
    const visible = await regression.cases('get_quote');
    const all = await regression.cases('get_quote', { includeHeldOut: true });
    expect(all).toHaveLength(KEYS.length);
    expect(all.filter((entry) => entry.heldOut).map((entry) => entry.input)).toEqual([{ key: 'ber' }, { key: 'lis' }]);
    expect(visible).toHaveLength(KEYS.length - 2);
    // The call deadline sits well under the run's (1.5 s) and well over a loopback answer, even on a loaded machine.
    const rewriter = createTransformRewriter({ timeout: { callTimeoutMs: 500 }, retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 40 } });
    const [candidate] = await rewriter.propose({
      artifact: v1,
      diagnosis,
      evidence: { recentErrors: before.recentErrors.map(({ code, message }) => ({ code, message })), failingInputs: [], cases: visible },
    });
    if (candidate === undefined) throw new Error('no candidate');
    expect(candidate.author.id).toBe('transform-rewriter:timeout+retry');

    // 4. The regression runner proves v2 on the stored cases, held-out ones included.
    const verdict = await regression.compare({ candidate, baseline: v1, cases: all, diagnosis });
    expect(verdict.decision).toBe('promote');
    expect(verdict.totals).toMatchObject({ cases: KEYS.length, candidatePassed: KEYS.length, regressions: 0 });
    expect(verdict.cases.filter((result) => result.heldOut).every((result) => result.candidate.pass)).toBe(true);
    expect(verdict.cases.every((result) => result.candidate.output === flakyServicePrice((all.find((entry) => entry.id === result.caseId)?.input as { key: string }).key))).toBe(true);

    // 5. v2, measured the same way: better success rate and p95 latency, by a margin.
    const v2 = toolVersion({ name: 'get_quote', version: 2, language: 'ts', source: candidate.source, capabilities: v1.spec?.capabilities ?? [], inputSchema: v1.spec?.inputSchema ?? {} });
    const after = await serve(v2);
    console.info(
      `get_quote v1: success ${before.successRate.toFixed(2)}, p95 ${Math.round(before.latency.p95)} ms — v2: success ${after.successRate.toFixed(2)}, p95 ${Math.round(after.latency.p95)} ms`,
    );
    expect(after.count).toBe(18);
    expect(after.successRate).toBe(1);
    expect(after.successRate - before.successRate).toBeGreaterThanOrEqual(0.6);
    expect(after.latency.p95).toBeLessThanOrEqual(before.latency.p95 * 0.75);
    expect(createEvaluator().evaluate(after).needsRewrite).toBe(false);
    await memory.close();
  });
});
