import { type Sandbox, ToolwrightError } from '@toolwright/core';
import { createSandbox } from '@toolwright/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegressionRunner } from './regression-runner.js';
import { busyWait, candidateOf, diagnosisWith, toolVersion } from './test-support/tools.js';

const SUM = 'export default ({ fares }) => fares.reduce((total, fare) => total + fare, 0);';
// v1's bug: reduce without an initial value throws on an empty list.
const SUM_WITHOUT_INITIAL = 'export default ({ fares }) => fares.reduce((total, fare) => total + fare);';
const failures = diagnosisWith('total_fares', [{ kind: 'failure-rate', message: 'success rate 0.60 is below 0.95', observed: 0.6 }]);
const slowness = diagnosisWith('total_fares', [{ kind: 'latency', message: 'mean latency 150 ms is above 100 ms', observed: 150 }]);

let sandbox: Sandbox;
beforeAll(() => {
  sandbox = createSandbox({ timeoutMs: 2_000 });
});
afterAll(async () => {
  await sandbox.dispose();
});

async function withCases(inputs: number[][]) {
  const regression = createRegressionRunner({ sandbox });
  for (const fares of inputs) await regression.addCase({ tool: 'total_fares', input: { fares }, expect: { output: fares.reduce((a, b) => a + b, 0) } });
  return regression;
}

describe('compare', () => {
  it('runs both versions on every case and promotes a candidate that fixes the failures, with per-case evidence', async () => {
    const regression = await withCases([[1, 2], [], [10]]);
    const baseline = toolVersion({ source: SUM_WITHOUT_INITIAL });
    const candidate = candidateOf(baseline, SUM, failures);
    const cases = await regression.cases('total_fares', { includeHeldOut: true });

    const verdict = await regression.compare({ candidate, baseline, cases, diagnosis: failures });

    expect(verdict.decision).toBe('promote');
    expect(verdict.tool).toBe('total_fares');
    expect(verdict.baselineVersion).toBe(1);
    expect(verdict.candidateVersion).toBeUndefined();
    expect(verdict.totals).toEqual({ cases: 3, candidatePassed: 3, baselinePassed: 2, regressions: 0 });
    const empty = verdict.cases[1];
    expect(empty?.candidate).toMatchObject({ pass: true, output: 0, failures: [] });
    expect(empty?.baseline).toMatchObject({ pass: false, error: { code: 'THROWN' } });
    expect(empty?.baseline?.failures[0]).toMatch(/^failed with THROWN: .*Reduce of empty array/);
    for (const result of verdict.cases) {
      expect(result.candidate.durationMs).toBeGreaterThanOrEqual(0);
      expect(result.baseline?.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(verdict.reasons.join('\n')).toContain('failing cases 1 → 0 of 3');
  });

  it('refuses a candidate that regresses on a case the baseline passes, with the diff', async () => {
    const regression = await withCases([[1, 2], [4]]);
    const baseline = toolVersion({ source: SUM });
    const candidate = candidateOf(baseline, 'export default ({ fares }) => fares.length === 1 ? fares[0] : fares[0] * fares[1];', failures);
    const verdict = await regression.compare({ candidate, baseline, cases: await regression.cases('total_fares'), diagnosis: failures });
    expect(verdict.decision).toBe('reject');
    expect(verdict.totals.regressions).toBe(1);
    expect(verdict.cases[0]).toMatchObject({ regressed: true, outputDiff: '$: baseline 3, candidate 2' });
    expect(verdict.cases[0]?.candidate.failures).toEqual(['output differs from the golden output: $: expected 3, got 2']);
    expect(verdict.reasons[0]).toMatch(/^Regresses on 1 case the baseline passes \(case_\w+: output differs from the golden output: \$: expected 3, got 2\)\.$/);
  });

  it('checks JSON Schema, latency and numeric tolerance assertions', async () => {
    const regression = createRegressionRunner({ sandbox });
    await regression.addCase({ tool: 'total_fares', input: { fares: [0.1, 0.2] }, expect: { output: 0.3, tolerance: 1e-9 } });
    await regression.addCase({ tool: 'total_fares', input: { fares: [1] }, expect: { schema: { type: 'object', required: ['total'] } } });
    await regression.addCase({ tool: 'total_fares', input: { fares: [2] }, expect: { maxLatencyMs: 40 } });
    const slow = toolVersion({ source: `export default ({ fares }) => {\n  ${busyWait(120)}\n  return fares.reduce((a, b) => a + b, 0);\n};` });
    const verdict = await regression.compare({ candidate: candidateOf(slow, SUM, slowness), baseline: slow, cases: await regression.cases('total_fares'), diagnosis: slowness });
    const [tolerance, schema, latency] = verdict.cases;
    expect(tolerance?.candidate.pass).toBe(true);
    expect(schema?.candidate.failures).toEqual(["output does not match the case's JSON Schema: $ must be object"]);
    expect(latency?.baseline?.failures[0]).toMatch(/^took \d+ ms, more than the 40 ms allowed$/);
    expect(latency?.candidate.pass).toBe(true);

    const strict = createRegressionRunner({ sandbox });
    await strict.addCase({ tool: 'total_fares', input: { fares: [0.1, 0.2] }, expect: { output: 0.3 } });
    const exact = await strict.compare({ candidate: candidateOf(slow, SUM, slowness), baseline: undefined, cases: await strict.cases('total_fares') });
    expect(exact.cases[0]?.candidate.failures[0]).toBe('output differs from the golden output: $: expected 0.3, got 0.30000000000000004');
    expect(exact.decision).toBe('reject');
  });

  it('refuses a candidate the sandbox will not compile, naming the SandboxError code', async () => {
    const regression = await withCases([[1, 2]]);
    const baseline = toolVersion({ source: SUM });
    const candidate = candidateOf(baseline, "export default ({ fares }) => eval('fares.length');", failures);
    const verdict = await regression.compare({ candidate, baseline, cases: await regression.cases('total_fares'), diagnosis: failures });
    expect(verdict.decision).toBe('reject');
    expect(verdict.reasons[0]).toMatch(/^The candidate for total_fares \(from v1\) does not compile in the sandbox \(SANDBOX_STATIC_GATE\)/);
    expect(verdict.cases[0]?.candidate.error?.code).toBe('SANDBOX_STATIC_GATE');
  });

  it('proves a brand-new tool on its cases alone', async () => {
    const regression = await withCases([[1, 2], []]);
    const fresh = toolVersion({ source: SUM_WITHOUT_INITIAL });
    const refused = await regression.compare({ candidate: fresh, baseline: undefined, cases: await regression.cases('total_fares') });
    expect(refused.decision).toBe('reject');
    expect(refused.candidateVersion).toBe(1);
    expect(refused.reasons[0]).toMatch(/^Fails 1 of 2 cases/);
    const accepted = await regression.compare({ candidate: toolVersion({ source: SUM }), baseline: undefined, cases: await regression.cases('total_fares') });
    expect(accepted.decision).toBe('promote');
    expect(accepted.cases.every((result) => result.baseline === undefined)).toBe(true);
  });

  it('refuses to judge without cases, with foreign cases, or with a bad request', async () => {
    const regression = createRegressionRunner({ sandbox });
    const baseline = toolVersion({ source: SUM });
    const none = await regression.compare({ candidate: candidateOf(baseline, SUM, failures), baseline, cases: [] }).catch((error: unknown) => error);
    expect(ToolwrightError.isInstance(none) && none.code).toBe('REGRESSION_NO_CASES');
    const foreign = await regression
      .compare({ candidate: baseline, baseline: undefined, cases: [{ id: 'x', tool: 'other_tool', input: {}, expect: { output: 1 }, origin: 'explicit', heldOut: false }] })
      .catch((error: unknown) => error);
    expect(ToolwrightError.isInstance(foreign) && foreign.code).toBe('INVALID_ARGUMENT');
    const malformed = await regression.compare({ candidate: baseline, baseline: undefined, cases: [{ id: 'x' }] as never }).catch((error: unknown) => error);
    expect(ToolwrightError.isInstance(malformed) && malformed.code).toBe('INVALID_ARGUMENT');
    expect(() => createRegressionRunner({ sandbox, heldOutShare: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('stops when its signal is aborted', async () => {
    const regression = await withCases([[1]]);
    const baseline = toolVersion({ source: SUM });
    const controller = new AbortController();
    controller.abort();
    const error = await regression
      .compare({ candidate: candidateOf(baseline, SUM, failures), baseline, cases: await regression.cases('total_fares'), signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('AbortError');
  });
});

describe('shadow runs', () => {
  it('serves only the active output, records agreement and latency for N calls, and feeds the verdict', async () => {
    const regression = await withCases([[1, 2]]);
    const active = toolVersion({ source: SUM });
    const differing = candidateOf(active, 'export default ({ fares }) => fares.length;', failures);
    const shadow = await regression.shadow({ candidate: differing, active, runs: 3 });

    const served = [];
    for (const fares of [[5, 5], [1, 2, 3], [7], [8, 8]]) served.push(await shadow.serve({ fares }));
    await shadow.settled();

    expect(served.map((result) => (result.ok ? result.value : result.error.code))).toEqual([10, 6, 7, 16]);
    expect(shadow.complete).toBe(true);
    const summary = await shadow.summary();
    expect(summary).toMatchObject({ runs: 3, comparable: 3, candidateFailures: 0 });
    // The active sums, the candidate counts: 10 vs 2, 6 vs 3, 7 vs 1 — no agreement; the fourth call is not shadowed.
    expect(summary?.agreement).toBe(0);

    const verdict = await regression.compare({ candidate: differing, baseline: active, cases: await regression.cases('total_fares'), diagnosis: failures });
    expect(verdict.shadow).toEqual({ runs: 3, agreement: 0, candidateP50Ms: summary?.candidateP50Ms, baselineP50Ms: summary?.baselineP50Ms });
    expect(verdict.decision).toBe('reject');
    expect(verdict.reasons.join('\n')).toContain('Disagrees with the active version in shadow runs: 3 shadow runs on live inputs: agreement 0 %');
  });

  it('records a candidate that agrees, also through observe() for a caller that ran the active version itself', async () => {
    const regression = createRegressionRunner({ sandbox });
    const active = toolVersion({ source: SUM_WITHOUT_INITIAL });
    const fixed = candidateOf(active, SUM, failures);
    await regression.addCase({ tool: 'total_fares', input: { fares: [] }, expect: { output: 0 } });
    const shadow = await regression.shadow({ candidate: fixed, active, runs: 4 });
    await shadow.serve({ fares: [1, 2] });
    await shadow.serve({ fares: [] });
    await shadow.observe({ fares: [4] }, { ok: true, value: 4, durationMs: 1, logs: [] });
    await shadow.observe({ fares: [3] }, { ok: true, value: 3, durationMs: 1, logs: [] });
    await shadow.observe({ fares: [9] }, { ok: true, value: 9, durationMs: 1, logs: [] });
    await shadow.settled();
    expect(await regression.shadowSummary(fixed)).toMatchObject({ runs: 4, agreement: 1, comparable: 3, candidateFailures: 0, candidateRecoveries: 1 });
    const verdict = await regression.compare({ candidate: fixed, baseline: active, cases: await regression.cases('total_fares'), diagnosis: failures });
    expect(verdict.decision).toBe('promote');
    expect(verdict.shadow?.agreement).toBe(1);
    expect(verdict.reasons.join('\n')).toContain('4 shadow runs on live inputs: agreement 100 % over 3 calls the active version answered');
  });

  it('refuses to shadow with a candidate the sandbox will not compile', async () => {
    const regression = createRegressionRunner({ sandbox });
    const active = toolVersion({ source: SUM });
    const error = await regression.shadow({ candidate: candidateOf(active, 'export const notDefault = 1;', failures), active, runs: 2 }).catch((caught: unknown) => caught);
    expect(ToolwrightError.isInstance(error) && error.code).toBe('SANDBOX_NO_DEFAULT_EXPORT');
  });
});
