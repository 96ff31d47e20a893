import { ModelError, type Diagnosis, type DiagnosisReason, type RepairContext, type ToolwrightError } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { offlineModel, type OfflineModelEvent } from './offline-model.js';
import { chooseRepair } from './repair.js';

const reason = (kind: DiagnosisReason['kind'], message: string): DiagnosisReason => ({ kind, message, observed: 0.5 });
const diagnosis = (...reasons: DiagnosisReason[]): Diagnosis => ({
  tool: 'fetch_exchange_rate',
  version: 1,
  score: 0.4,
  components: [],
  status: 'degraded',
  needsRewrite: true,
  reasons,
  sampleSize: 30,
});
const FAILING = reason('failure-rate', 'success rate 0.33 is below 0.95');
const SLOW = reason('latency', 'p95 latency 900 ms is over 250 ms');
const WRONG = reason('wrong-output', '4 of 10 outputs differ from the expected ones');
const RATE_LIMITED = { code: 'THROWN', message: 'exchange service answered HTTP 429' };
const TIMED_OUT = { code: 'TIMEOUT', message: 'the tool ran past 1000 ms' };
const TYPE_ERROR = { code: 'THROWN', message: "TypeError: Cannot read properties of undefined (reading 'rate')" };

const offer = (...names: string[]) => names.map((name) => ({ name, description: `${name}, as the rewriter describes it` }));
const context = (fields: Partial<RepairContext>): RepairContext => ({
  tool: { name: 'fetch_exchange_rate', version: 1, language: 'ts', capabilities: [{ kind: 'fetch', origins: ['http://127.0.0.1:8080'] }] },
  diagnosis: diagnosis(FAILING),
  recentErrors: [],
  transforms: offer('timeout', 'retry'),
  ...fields,
});
const chosen = (fields: Partial<RepairContext>): readonly string[] => {
  const decision = chooseRepair(context(fields));
  if (!decision.ok) throw new Error(`expected a choice, got: ${decision.reason}`);
  return decision.answer.transforms;
};
const refusal = (fields: Partial<RepairContext>): string => {
  const decision = chooseRepair(context(fields));
  if (decision.ok) throw new Error(`expected a refusal, got: ${decision.answer.transforms.join(', ')}`);
  return decision.reason;
};

describe('chooseRepair', () => {
  it('retries transient errors, and says how many and which', () => {
    const decision = chooseRepair(context({ recentErrors: [RATE_LIMITED, RATE_LIMITED, TYPE_ERROR] }));
    expect(decision).toEqual({
      ok: true,
      answer: { transforms: ['retry'], reason: '2 of the 3 recent errors are transient (HTTP 429 ×2), so another attempt may succeed.' },
    });
  });

  it('adds a timeout when calls timed out, and retries them', () => {
    expect(chosen({ recentErrors: [TIMED_OUT, RATE_LIMITED] })).toEqual(['timeout', 'retry']);
    expect(chooseRepair(context({ recentErrors: [TIMED_OUT] }))).toMatchObject({ answer: { reason: expect.stringContaining('1 of the 1 recent error timed out') } });
  });

  it('adds a timeout (and a retry for the calls it cuts short) when the diagnosis names latency', () => {
    expect(chosen({ diagnosis: diagnosis(SLOW), recentErrors: [] })).toEqual(['timeout', 'retry']);
  });

  it('falls back to the declared secondary origin only when it is offered and errors are transient', () => {
    expect(chosen({ recentErrors: [RATE_LIMITED], transforms: offer('timeout', 'retry', 'fallback') })).toEqual(['retry', 'fallback']);
    expect(chosen({ recentErrors: [RATE_LIMITED], transforms: offer('fallback') })).toEqual(['fallback']);
    expect(chosen({ diagnosis: diagnosis(SLOW), transforms: offer('timeout', 'retry', 'fallback') })).toEqual(['timeout', 'retry']);
  });

  it('memoises a pure tool whose only problem is latency, and never a failing one', () => {
    const pure = { tool: { name: 'median_fares_price', version: 2, language: 'ts' as const, capabilities: [] }, transforms: offer('memoise') };
    expect(chosen({ ...pure, diagnosis: diagnosis(SLOW) })).toEqual(['memoise']);
    expect(refusal({ ...pure, diagnosis: diagnosis(SLOW, FAILING), recentErrors: [TYPE_ERROR] })).toMatch(/not transient/);
  });

  it('refuses wrong logic plainly instead of guessing', () => {
    const text = refusal({ diagnosis: diagnosis(WRONG), recentErrors: [TYPE_ERROR, TYPE_ERROR] });
    expect(text).toContain('fetch_exchange_rate v1');
    expect(text).toContain("failures whose errors are not transient (THROWN: TypeError: Cannot read properties of undefined (reading 'rate') ×2)");
    expect(text).toContain('a transform cannot fix wrong logic');
    expect(refusal({ diagnosis: diagnosis(WRONG), recentErrors: [] })).toContain('wrong outputs with no transient errors');
  });

  it('refuses when nothing is offered, and ignores transforms it does not know', () => {
    expect(refusal({ recentErrors: [RATE_LIMITED], transforms: [] })).toMatch(/^no deterministic transform applies to the source of fetch_exchange_rate v1/);
    expect(chosen({ recentErrors: [RATE_LIMITED], transforms: offer('circuit-breaker', 'retry') })).toEqual(['retry']);
    expect(refusal({ recentErrors: [RATE_LIMITED], transforms: offer('circuit-breaker') })).toContain('names failures');
  });
});

describe('offlineModel: repair requests', () => {
  const responseSchema = { name: 'tool_rewrite', schema: { type: 'object' } };
  const messages = [{ role: 'user' as const, content: 'Repair fetch_exchange_rate v1.' }];

  it('answers with the transforms as a structured object, spends no tokens, and reports the decision', async () => {
    const events: OfflineModelEvent[] = [];
    const model = offlineModel({ onEvent: (event) => events.push(event) });
    const result = await model.generate({ messages, responseSchema, repair: context({ recentErrors: [RATE_LIMITED, TIMED_OUT] }) });
    expect(result.object).toEqual({ transforms: ['timeout', 'retry'], reason: expect.stringMatching(/^1 of the 2 recent errors timed out; 2 of the 2 recent errors are transient/) });
    expect(JSON.parse(result.text)).toEqual(result.object);
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(events).toEqual([{ type: 'repair', tool: 'fetch_exchange_rate', version: 1, transforms: ['timeout', 'retry'], reason: expect.any(String) }]);
  });

  it('fails with MODEL_UNSUPPORTED_REQUEST saying why when no transform fits', async () => {
    const events: OfflineModelEvent[] = [];
    const error = (await offlineModel({ onEvent: (event) => events.push(event) })
      .generate({ messages, responseSchema, repair: context({ diagnosis: diagnosis(WRONG), recentErrors: [TYPE_ERROR] }) })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      )) as ToolwrightError;
    expect(ModelError.isInstance(error)).toBe(true);
    expect(error.code).toBe('MODEL_UNSUPPORTED_REQUEST');
    expect(error.message).toMatch(/^The offline model "offline-synthesis" cannot repair this tool: the diagnosis of fetch_exchange_rate v1 names failures/);
    expect(error.details).toEqual({ tool: 'fetch_exchange_rate', version: 1, offered: ['timeout', 'retry'] });
    expect(events.map((event) => event.type)).toEqual(['cannot']);
  });

  it('does not repeat a refused choice: a retry after a refusal says so instead', async () => {
    const retry = [
      ...messages,
      { role: 'assistant' as const, content: '{"transforms":["retry"],"reason":"…"}' },
      { role: 'user' as const, content: 'That answer was refused: the sandbox refuses the source (SANDBOX_STATIC_GATE).' },
    ];
    await expect(offlineModel().generate({ messages: retry, responseSchema, repair: context({ recentErrors: [RATE_LIMITED] }) })).rejects.toMatchObject({
      code: 'MODEL_UNSUPPORTED_REQUEST',
      message: expect.stringContaining('refused, and it would choose the same again (That answer was refused: the sandbox refuses the source (SANDBOX_STATIC_GATE).)'),
    });
  });

  it('validates the repair context at the boundary', async () => {
    const broken = { ...context({}), recentErrors: [{ code: 1 }] } as unknown as RepairContext;
    await expect(offlineModel().generate({ messages, responseSchema, repair: broken })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('still refuses a structured-output request that is not a repair', async () => {
    await expect(offlineModel().generate({ messages, responseSchema })).rejects.toMatchObject({ code: 'MODEL_UNSUPPORTED_REQUEST' });
  });
});
