import { describe, expect, it } from 'vitest';
import { parseAnswer, verifyAnswer } from './answer.js';
import type { AgentToolCall } from './types.js';

const call = (output: AgentToolCall['output'], init: Partial<AgentToolCall> = {}): AgentToolCall => ({ callId: 'total_fares.v2.test', name: 'total_fares', version: 2, input: {}, ok: true, output, durationMs: 1, step: 1, ...init } as AgentToolCall);

describe('the final answer', () => {
  it('is JSON when it is JSON, a ```json fence removed, else the trimmed text', () => {
    expect(parseAnswer(' 690.09 ')).toEqual({ value: 690.09, json: true });
    expect(parseAnswer('```json\n{"total": 3}\n```')).toEqual({ value: { total: 3 }, json: true });
    expect(parseAnswer(' The total is 3. ')).toEqual({ value: 'The total is 3.', json: false });
  });

  it('is verified by the newest tool output it equals or quotes, and prose becomes that exact output', () => {
    const calls = [call(3228.8700000000003, { step: 2 })];
    expect(verifyAnswer('3228.8700000000003', calls)).toEqual({ output: 3228.8700000000003, verification: { status: 'verified', tool: 'total_fares', version: 2, step: 2, from: 'json' } });
    expect(verifyAnswer('The fares total 3,228.87 EUR.', calls)).toEqual({ output: 3228.8700000000003, verification: { status: 'verified', tool: 'total_fares', version: 2, step: 2, from: 'prose' } });
    expect(verifyAnswer('There are 5 of them, that is', [call(5)]).output).toBe(5);
    expect(verifyAnswer('{"cheapest":"FR"}', [call({ cheapest: 'FR' })]).verification.status).toBe('verified');
    expect(verifyAnswer('{"total": 690.09}', [call(690.09)])).toEqual({ output: { total: 690.09 }, verification: { status: 'verified', tool: 'total_fares', version: 2, step: 1, from: 'json' } });
    expect(verifyAnswer('The cheapest carrier is Ryanair.', [call('Ryanair')]).output).toBe('Ryanair');
  });

  it('is unverified, with the reason, when no successful tool output backs it', () => {
    expect(verifyAnswer('About 700.', [])).toEqual({ output: 'About 700.', verification: { status: 'unverified', reason: "no tool ran in this run: the answer is the model's own" } });
    expect(verifyAnswer('700', [call(undefined, { ok: false, error: { code: 'THROWN', message: 'x' } })]).verification).toEqual({ status: 'unverified', reason: "every tool call of this run failed: the answer is the model's own" });
    expect(verifyAnswer('700', [call(690.09)]).verification).toEqual({ status: 'unverified', reason: 'the answer equals no tool output of this run' });
    expect(verifyAnswer('The total is 3,229 EUR.', [call(690.09)])).toEqual({ output: 'The total is 3,229 EUR.', verification: { status: 'unverified', reason: 'the answer is prose that quotes no tool output of this run' } });
  });

  it('regression: unrelated numbers in prose verified an answer (a count of calls, an admission it could not finish)', () => {
    const unrelated = 'the answer is prose that quotes no tool output of this run';
    expect(verifyAnswer('I called the tool 12 times and the total came out.', [call(12.4)]).verification).toEqual({ status: 'unverified', reason: unrelated });
    expect(verifyAnswer('The total is 12.4.', [call(12.4)]).verification.status).toBe('verified');
    expect(verifyAnswer('The total is 3,229 EUR.', [call(3228.87)]).verification).toEqual({ status: 'unverified', reason: unrelated });
    const cannot = { status: 'unverified', reason: 'the answer says it could not finish' };
    expect(verifyAnswer('I could not finish; I called the tool 12 times.', [call(12)]).verification).toEqual(cannot);
    expect(verifyAnswer('Sorry, I cannot compute it (tried 1 tool).', [call(0.9)]).verification).toEqual(cannot);
  });
});
