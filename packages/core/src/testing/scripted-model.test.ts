import { describe, expect, it } from 'vitest';
import { ModelError, ToolwrightError } from '../errors.js';
import type { GenerateRequest, LanguageModel, Message } from '../model.js';
import { ScriptedModel } from './scripted-model.js';

const ask = (content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  messages: [{ role: 'user', content }],
  ...extra,
});

describe('ScriptedModel', () => {
  it('is a LanguageModel', () => {
    const model: LanguageModel = new ScriptedModel({ script: [], modelId: 'm1' });
    expect(model.specificationVersion).toBe('toolwright.model.v1');
    expect(model.provider).toBe('scripted');
    expect(model.modelId).toBe('m1');
  });

  it('replays text, tool calls and usage in order, with generated call ids and finish reasons', async () => {
    const model = new ScriptedModel({
      script: [
        { toolCalls: [{ name: 'total_fares', input: { fares: [1, 2] } }, { name: 'count', input: {} }], usage: { inputTokens: 50 } },
        { text: 'The total is 3.', usage: { inputTokens: 70, outputTokens: 6 } },
      ],
    });
    const first = await model.generate(ask('Total these'));
    expect(first).toEqual({
      text: '',
      toolCalls: [
        { id: 'call_1', name: 'total_fares', input: { fares: [1, 2] } },
        { id: 'call_2', name: 'count', input: {} },
      ],
      finishReason: 'tool-calls',
      usage: { inputTokens: 50, outputTokens: 0 },
    });
    const second = await model.generate(ask('and?'));
    expect(second.text).toBe('The total is 3.');
    expect(second.finishReason).toBe('stop');
    expect(second.usage).toEqual({ inputTokens: 70, outputTokens: 6 });
    expect(model.remaining).toBe(0);
  });

  it('keeps scripted ids, malformed arguments and explicit finish reasons', async () => {
    const model = new ScriptedModel({
      script: [
        {
          toolCalls: [{ id: 'abc', name: 'total_fares', input: null, inputError: { message: 'Unexpected token', raw: '{fares:' } }],
          finishReason: 'length',
        },
      ],
    });
    const result = await model.generate(ask('go'));
    expect(result.toolCalls).toEqual([
      { id: 'abc', name: 'total_fares', input: null, inputError: { message: 'Unexpected token', raw: '{fares:' } },
    ]);
    expect(result.finishReason).toBe('length');
  });

  it('answers structured output with the object and its JSON text', async () => {
    const model = new ScriptedModel({ script: [{ object: { total: 590.59 } }] });
    const result = await model.generate(ask('total?', { responseSchema: { name: 'answer', schema: { type: 'object' } } }));
    expect(result.object).toEqual({ total: 590.59 });
    expect(JSON.parse(result.text)).toEqual({ total: 590.59 });
  });

  it('throws scripted errors, records them, and goes on with the next step', async () => {
    const failure = new ModelError('MODEL_RATE_LIMITED', '429 after 3 retries');
    const model = new ScriptedModel({ script: [{ error: failure }, { text: 'ok' }] });
    await expect(model.generate(ask('one'))).rejects.toBe(failure);
    await expect(model.generate(ask('two'))).resolves.toMatchObject({ text: 'ok' });
    expect(model.calls[0]?.error).toBe(failure);
    expect(model.calls[1]?.result?.text).toBe('ok');
  });

  it('records every request as it was at call time, without the signal', async () => {
    const messages: Message[] = [{ role: 'user', content: 'first' }];
    const model = new ScriptedModel({ script: [{ text: 'a' }, { text: 'b' }] });
    const controller = new AbortController();
    await model.generate({ messages, tools: [{ name: 't', description: 'd', inputSchema: { type: 'object' } }], signal: controller.signal });
    messages.push({ role: 'assistant', content: 'a' });
    await model.generate({ messages });
    expect(model.calls).toHaveLength(2);
    expect(model.calls[0]?.request.messages).toEqual([{ role: 'user', content: 'first' }]);
    expect(model.calls[0]?.request.tools?.[0]?.name).toBe('t');
    expect(model.calls[0]?.request).not.toHaveProperty('signal');
    expect(model.calls[1]?.request.messages).toHaveLength(2);
  });

  it('lets a step be computed from the request', async () => {
    const model = new ScriptedModel({
      script: [(request, index) => ({ text: `call ${index}: ${request.messages.at(-1)?.content ?? ''}` })],
    });
    expect((await model.generate(ask('hello'))).text).toBe('call 0: hello');
  });

  it('fails with MODEL_SCRIPT_EXHAUSTED once the script is used up, saying how to fix it', async () => {
    const model = new ScriptedModel({ script: [{ text: 'only' }] });
    await model.generate(ask('1'));
    const error = await model.generate(ask('2')).catch((caught: unknown) => caught);
    expect(ToolwrightError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'MODEL_SCRIPT_EXHAUSTED', details: { calls: 2, steps: 1 } });
    expect((error as Error).message).toContain('whenExhausted');
  });

  it('repeats the last step when asked to', async () => {
    const model = new ScriptedModel({ script: [{ text: 'again' }], whenExhausted: 'repeat-last' });
    for (let i = 0; i < 3; i++) expect((await model.generate(ask(String(i)))).text).toBe('again');
    expect(model.calls).toHaveLength(3);
  });

  it('rejects with MODEL_ABORTED when the signal is already aborted or aborts during a delay', async () => {
    const model = new ScriptedModel({ script: [{ text: 'never' }, { text: 'slow', delayMs: 10_000 }] });
    await expect(model.generate(ask('x', { signal: AbortSignal.abort() }))).rejects.toMatchObject({ code: 'MODEL_ABORTED' });
    const controller = new AbortController();
    const pending = model.generate(ask('y', { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('user cancelled')), 5);
    const started = Date.now();
    await expect(pending).rejects.toMatchObject({ code: 'MODEL_ABORTED' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('returns copies: changing a result does not change the script', async () => {
    const model = new ScriptedModel({ script: [{ toolCalls: [{ name: 't', input: { list: [1] } }] }], whenExhausted: 'repeat-last' });
    const first = await model.generate(ask('1'));
    (first.toolCalls[0]?.input as { list: number[] }).list.push(2);
    const second = await model.generate(ask('2'));
    expect(second.toolCalls[0]?.input).toEqual({ list: [1] });
  });

  it('refuses a missing script with INVALID_ARGUMENT', () => {
    expect(() => new ScriptedModel({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
