import { type RegressionCase, type Sandbox, canonicalJson } from '@toolwright/core';
import { createSandbox } from '@toolwright/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegressionSuite, createRegressionRunner } from './regression-runner.js';
import { busyWait, candidateOf, diagnosisWith, toolVersion } from './test-support/tools.js';

// v1 is right but slow; the diagnosis asks for lower latency.
const V1 = `export default ({ fares }) => {\n  ${busyWait(60)}\n  return fares.reduce((total, fare) => total + fare, 0);\n};`;
const slowness = diagnosisWith('total_fares', [{ kind: 'latency', message: 'mean latency 60 ms is above the 20 ms target', observed: 60 }]);

/** A "rewrite" that memorises the cases it was shown: it passes them and nothing else. */
function overfitted(visible: readonly RegressionCase[]): string {
  const table = Object.fromEntries(visible.map((entry) => [canonicalJson(entry.input), entry.expect.output ?? null]));
  return `const KNOWN = ${JSON.stringify(table)};\nexport default (input) => KNOWN[JSON.stringify(input)] ?? 0;`;
}

describe('refused candidates', () => {
  let sandbox: Sandbox;
  let regression: RegressionSuite;
  const active = toolVersion({ source: V1 });

  beforeAll(async () => {
    sandbox = createSandbox({ timeoutMs: 2_000 });
    regression = createRegressionRunner({ sandbox, heldOutShare: 0.4 });
    // Live traffic on the active version becomes cases: its outputs are the golden ones.
    const tool = await sandbox.compile({ name: active.name, source: active.source, language: 'js' });
    const inputs = Array.from({ length: 16 }, (_, index) => ({ fares: [index, index * 2 + 0.5] }));
    const results = await sandbox.runMany(tool, inputs);
    for (const [index, input] of inputs.entries()) {
      const result = results[index];
      if (result === undefined) throw new Error('missing result');
      await regression.capture({ tool: active.name, version: active.version, input, result });
    }
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  it('holds some captured cases out of what a rewriter sees', async () => {
    const all = await regression.cases('total_fares', { includeHeldOut: true });
    const visible = await regression.cases('total_fares');
    expect(all).toHaveLength(16);
    expect(visible.length).toBeLessThan(all.length);
    expect(visible.every((entry) => !entry.heldOut)).toBe(true);
  });

  it('refuses a rewrite that passes every visible case but breaks a held-out one, and says so', async () => {
    const visible = await regression.cases('total_fares');
    const candidate = candidateOf(active, overfitted(visible), slowness);
    const verdict = await regression.compare({ candidate, baseline: active, cases: await regression.cases('total_fares', { includeHeldOut: true }), diagnosis: slowness });

    const visibleResults = verdict.cases.filter((result) => !result.heldOut);
    const heldOutResults = verdict.cases.filter((result) => result.heldOut);
    expect(visibleResults.every((result) => result.candidate.pass)).toBe(true);
    expect(heldOutResults.length).toBeGreaterThan(0);
    expect(heldOutResults.every((result) => result.regressed)).toBe(true);
    expect(verdict.decision).toBe('reject');
    expect(verdict.totals.regressions).toBe(heldOutResults.length);
    expect(verdict.reasons[0]).toContain(`Regresses on ${heldOutResults.length} held-out case`);
    expect(verdict.reasons[0]).toContain('fits the tests rather than fixing the tool');
  });

  it('refuses a faster rewrite that returns different outputs (metric gaming), and says so', async () => {
    const candidate = candidateOf(active, 'export default () => 0;', slowness);
    const verdict = await regression.compare({ candidate, baseline: active, cases: await regression.cases('total_fares', { includeHeldOut: true }), diagnosis: slowness });
    expect(verdict.decision).toBe('reject');
    expect(verdict.totals.regressions).toBeGreaterThan(0);
    const gaming = verdict.reasons.find((reason) => reason.startsWith('The candidate is faster'));
    expect(gaming).toMatch(/^The candidate is faster \(p95 [\d.]+ ms against \d+ ms\) but returns different outputs on \d+ cases the baseline gets right: speed bought by changing results is refused\.$/);
    expect(verdict.cases.find((result) => result.regressed)?.outputDiff).toMatch(/^\$: baseline [\d.]+, candidate 0$/);
  });

  it('promotes the honest rewrite: same outputs, lower latency', async () => {
    const candidate = candidateOf(active, 'export default ({ fares }) => fares.reduce((total, fare) => total + fare, 0);', slowness);
    const verdict = await regression.compare({ candidate, baseline: active, cases: await regression.cases('total_fares', { includeHeldOut: true }), diagnosis: slowness });
    expect(verdict.reasons.join('\n')).toContain('Fixes the diagnosed problem: p95 latency');
    expect(verdict.decision).toBe('promote');
  });
});
