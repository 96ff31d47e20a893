import { type Invocation, invocationSchema } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { isValidInvocation } from './invocation-check.js';
import { failure, invocation } from './test-support/invocations.js';

const valid = invocation();
const hash = valid.inputHash;

// Every way we could think of to get an invocation wrong, and a few right ones.
const candidates: unknown[] = [
  valid,
  failure('E_X'),
  invocation({ taskId: 't', modelTurn: 0, tokens: { inputTokens: 0, outputTokens: 5 } }),
  invocation({ durationMs: 0 }),
  invocation({ durationMs: 0.001, startedAt: 0 }),
  { ...valid, outputHash: undefined },
  { ...valid, taskId: undefined, modelTurn: undefined, tokens: undefined },
  { ...valid, taskId: 'x'.repeat(200) },
  { ...valid, taskId: 'x'.repeat(201) },
  { ...failure('E'), outcome: { ok: false, error: { code: 'c'.repeat(100), message: 'm'.repeat(4000) } } },
  { ...failure('E'), outcome: { ok: false, error: { code: 'c'.repeat(101), message: '' } } },
  { ...failure('E'), outcome: { ok: false, error: { code: 'c', message: 'm'.repeat(4001) } } },
  { ...failure('E'), outcome: { ok: false, error: { code: 'c', message: 'm', extra: 1 } } },
  { ...failure('E'), outcome: { ok: false, error: { code: 'c', message: 'm' }, extra: 1 } },
  { ...valid, outcome: { ok: true, extra: 1 } },
  { ...valid, outcome: { ok: true, error: { code: 'c', message: 'm' } } },
  { ...valid, outcome: { ok: false } },
  { ...valid, outcome: { ok: 1 } },
  { ...valid, outcome: null },
  { ...valid, outcome: [] },
  undefined,
  null,
  42,
  'invocation',
  [],
  [valid],
  {},
  { ...valid, tool: '' },
  { ...valid, tool: 'a'.repeat(64) },
  { ...valid, tool: 'a'.repeat(65) },
  { ...valid, tool: '1tool' },
  { ...valid, tool: 'Tool' },
  { ...valid, tool: 'tool-name' },
  { ...valid, tool: 'tool\n' },
  { ...valid, tool: 7 },
  { ...valid, version: 0 },
  { ...valid, version: -1 },
  { ...valid, version: 1.5 },
  { ...valid, version: '1' },
  { ...valid, version: 2 ** 53 },
  { ...valid, version: Number.NaN },
  { ...valid, startedAt: -1 },
  { ...valid, startedAt: 1.5 },
  { ...valid, startedAt: 2 ** 60 },
  { ...valid, durationMs: -0.1 },
  { ...valid, durationMs: Number.NaN },
  { ...valid, durationMs: Number.POSITIVE_INFINITY },
  { ...valid, durationMs: '3' },
  { ...valid, inputHash: hash.toUpperCase() },
  { ...valid, inputHash: hash.slice(1) },
  { ...valid, inputHash: `${hash}0` },
  { ...valid, inputHash: `${hash}\n` },
  { ...valid, inputHash: undefined },
  { ...valid, outputHash: null },
  { ...valid, outputHash: 'z'.repeat(64) },
  { ...valid, taskId: 5 },
  { ...valid, taskId: null },
  { ...valid, modelTurn: -1 },
  { ...valid, modelTurn: 0.5 },
  { ...valid, tokens: null },
  { ...valid, tokens: { inputTokens: 1 } },
  { ...valid, tokens: { inputTokens: 1, outputTokens: -1 } },
  { ...valid, tokens: { inputTokens: 1, outputTokens: 1, cost: 2 } },
  { ...valid, extra: 1 },
  { ...valid, extra: undefined },
  Object.assign(Object.create({ inherited: true }) as object, valid),
];

describe('isValidInvocation (the record() hot path)', () => {
  it('accepts only what invocationSchema accepts', () => {
    for (const candidate of candidates) {
      if (isValidInvocation(candidate)) {
        expect(invocationSchema.safeParse(candidate).success, `fast check accepted ${JSON.stringify(candidate)}`).toBe(true);
      }
    }
  });

  it('accepts the common valid shapes, so they stay on the fast path', () => {
    const accepted = candidates.filter((candidate) => isValidInvocation(candidate));
    const zodAccepted = candidates.filter((candidate) => invocationSchema.safeParse(candidate).success);
    // Nothing valid pays for the zod fallback: the two agree on every candidate.
    expect(accepted).toEqual(zodAccepted);
    expect(isValidInvocation(valid)).toBe(true);
    expect(isValidInvocation(failure('E_X') satisfies Invocation)).toBe(true);
  });
});
