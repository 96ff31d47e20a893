import type { CaseResult, CaseRun, Diagnosis } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { decide, diagnosedProblems } from './decision.js';

const pass = (durationMs: number, output: number = 1): CaseRun => ({ pass: true, output, durationMs, failures: [] });
const fail = (durationMs: number, failure = 'failed with THROWN: HTTP 429'): CaseRun => ({
  pass: false,
  error: { code: 'THROWN', message: 'HTTP 429' },
  durationMs,
  failures: [failure],
});
const result = (caseId: string, candidate: CaseRun, baseline: CaseRun | undefined, heldOut = false, outputDiff?: string): CaseResult => ({
  caseId,
  heldOut,
  candidate,
  baseline,
  regressed: baseline?.pass === true && !candidate.pass,
  ...(outputDiff === undefined ? {} : { outputDiff }),
});
const diagnosis = (kinds: Diagnosis['reasons'][number]['kind'][], metric?: string): Diagnosis => ({
  tool: 'get_quote',
  version: 1,
  score: 0.4,
  components: [],
  status: 'degraded',
  needsRewrite: true,
  reasons: kinds.map((kind) => ({ kind, message: `${kind} is bad`, observed: 1, ...(metric === undefined ? {} : { metric }) })),
  sampleSize: 50,
});
const base = { candidateLabel: 'the candidate for get_quote (from v1)', hasBaseline: true, candidateCompileError: undefined, shadow: undefined, minLatencyImprovement: 0.1, minShadowAgreement: 0.95 };

describe('diagnosedProblems', () => {
  it('maps reason kinds to failures or latency, and reads regression-vs-baseline by its metric', () => {
    expect(diagnosedProblems(diagnosis(['failure-rate']))).toEqual({ failures: true, latency: false, wrongOutput: false });
    expect(diagnosedProblems(diagnosis(['inconsistency']))).toEqual({ failures: false, latency: true, wrongOutput: false });
    expect(diagnosedProblems(diagnosis(['regression-vs-baseline'], 'latency-mean')).latency).toBe(true);
    expect(diagnosedProblems(diagnosis(['regression-vs-baseline'], 'success-rate')).failures).toBe(true);
    expect(diagnosedProblems({ ...diagnosis(['latency']), needsRewrite: false })).toEqual({ failures: false, latency: false, wrongOutput: false });
  });
});

describe('decide', () => {
  it('promotes a candidate that fixes failures and regresses on nothing, saying so', () => {
    const { decision, reasons } = decide({
      ...base,
      results: [result('a', pass(5), fail(5)), result('b', pass(5), pass(5)), result('c', pass(5), fail(5), true)],
      diagnosis: diagnosis(['failure-rate']),
    });
    expect(decision).toBe('promote');
    expect(reasons.join('\n')).toContain('3 of 3 against the baseline\'s 1 of 3');
    expect(reasons.join('\n')).toContain('failing cases 2 → 0 of 3');
  });

  it('refuses a regression on a held-out case and names it as such', () => {
    const { decision, reasons } = decide({
      ...base,
      results: [result('visible', pass(5), fail(5)), result('hidden', fail(5, 'output differs from the golden output: $: expected 2, got 0'), pass(5), true)],
      diagnosis: diagnosis(['failure-rate']),
    });
    expect(decision).toBe('reject');
    expect(reasons[0]).toMatch(/^Regresses on 1 held-out case the baseline passes \(hidden: output differs/);
    expect(reasons[0]).toContain('fits the tests rather than fixing the tool');
  });

  it('refuses a faster candidate that changes outputs and calls it what it is', () => {
    const results = [1, 2, 3, 4].map((index) =>
      result(`case${index}`, fail(1, 'output differs from the golden output: $: expected 10, got 0'), pass(400, 10), false, '$: baseline 10, candidate 0'),
    );
    const { decision, reasons } = decide({ ...base, results: results.map((entry) => ({ ...entry, candidate: { ...entry.candidate, output: 0 } })), diagnosis: diagnosis(['latency']) });
    expect(decision).toBe('reject');
    expect(reasons.join('\n')).toContain('The candidate is faster (p95 1 ms against 400 ms) but returns different outputs on 4 cases the baseline gets right');
  });

  it('refuses changed outputs on cases with no golden output unless the diagnosis is wrong output', () => {
    const results = [result('schema-only', pass(5, 2), pass(5, 1), false, '$: baseline 1, candidate 2'), result('b', pass(5), fail(5))];
    expect(decide({ ...base, results, diagnosis: diagnosis(['failure-rate']) }).reasons.join('\n')).toContain('Changes the output on 1 case where the baseline passes');
    expect(decide({ ...base, results, diagnosis: diagnosis(['wrong-output']) }).decision).toBe('promote');
  });

  it('refuses a candidate that does not fix the diagnosed problem', () => {
    const same = decide({ ...base, results: [result('a', pass(100), pass(100)), result('b', fail(100), fail(100))], diagnosis: diagnosis(['failure-rate']) });
    expect(same.decision).toBe('reject');
    expect(same.reasons[0]).toBe('Does not fix the diagnosed problem (failure-rate): failing cases 1 → 1 of 2.');
    const barelyFaster = decide({ ...base, results: [result('a', pass(95), pass(100))], diagnosis: diagnosis(['latency']) });
    expect(barelyFaster.decision).toBe('reject');
    expect(barelyFaster.reasons[0]).toContain('p95 latency 100 ms → 95 ms (needs at least 10 % lower)');
    const faster = decide({ ...base, results: [result('a', pass(50), pass(100))], diagnosis: diagnosis(['latency']) });
    expect(faster.decision).toBe('promote');
  });

  it('counts fewer failures on live traffic in shadow runs as a fix when the cases do not show the failures', () => {
    const results = [result('a', pass(5), pass(5))];
    expect(decide({ ...base, results, diagnosis: diagnosis(['failure-rate']) }).decision).toBe('reject');
    const shadow = { runs: 10, agreement: 1, candidateP50Ms: 9, baselineP50Ms: 9, comparable: 7, candidateFailures: 0, candidateRecoveries: 3 };
    const { decision, reasons } = decide({ ...base, results, diagnosis: diagnosis(['failure-rate']), shadow });
    expect(decision).toBe('promote');
    expect(reasons.join('\n')).toContain('Fixes the diagnosed problem: failures in shadow runs 3 → 0 of 10 (not improved: failing cases 0 → 0 of 1).');
  });

  it('requires a brand-new tool to pass every case', () => {
    const refused = decide({ ...base, hasBaseline: false, results: [result('a', pass(1), undefined), result('b', fail(1), undefined)], diagnosis: undefined });
    expect(refused.reasons[0]).toMatch(/^Fails 1 of 2 cases \(b: failed with THROWN/);
    expect(decide({ ...base, hasBaseline: false, results: [result('a', pass(1), undefined)], diagnosis: undefined }).decision).toBe('promote');
  });

  it('refuses a candidate that did not compile, with the sandbox code', () => {
    const { decision, reasons } = decide({
      ...base,
      results: [result('a', fail(0, 'did not compile'), fail(1))],
      candidateCompileError: { code: 'SANDBOX_STATIC_GATE', message: 'eval is not allowed (line 1)' },
      diagnosis: diagnosis(['failure-rate']),
    });
    expect(decision).toBe('reject');
    expect(reasons[0]).toBe('The candidate for get_quote (from v1) does not compile in the sandbox (SANDBOX_STATIC_GATE): eval is not allowed (line 1)');
  });

  it('says when the baseline did not compile, and judges the candidate against failed baseline runs', () => {
    const { decision, reasons } = decide({
      ...base,
      results: [result('a', pass(5), fail(0, 'did not compile'))],
      baselineCompileError: { code: 'SANDBOX_STATIC_GATE', message: 'setInterval is not allowed (line 2)' },
      diagnosis: diagnosis(['failure-rate']),
    });
    expect(decision).toBe('promote');
    expect(reasons[0]).toBe('The baseline does not compile in this sandbox (SANDBOX_STATIC_GATE): setInterval is not allowed (line 2); every baseline run counts as failed.');
  });

  it('refuses a candidate that disagrees with the active version in shadow runs', () => {
    const shadow = { runs: 10, agreement: 0.8, candidateP50Ms: 3, baselineP50Ms: 9, comparable: 10, candidateFailures: 0, candidateRecoveries: 0 };
    const { decision, reasons } = decide({ ...base, results: [result('a', pass(5), fail(5))], diagnosis: diagnosis(['failure-rate']), shadow });
    expect(decision).toBe('reject');
    expect(reasons.join('\n')).toContain('Disagrees with the active version in shadow runs: 10 shadow runs on live inputs: agreement 80 % over 10 calls');
    const agreeing = decide({ ...base, results: [result('a', pass(5), fail(5))], diagnosis: diagnosis(['failure-rate']), shadow: { ...shadow, agreement: 1 } });
    expect(agreeing.decision).toBe('promote');
    expect(agreeing.reasons.join('\n')).toContain('10 shadow runs on live inputs: agreement 100 %');
  });
});
