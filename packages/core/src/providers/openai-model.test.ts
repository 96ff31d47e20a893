import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolwrightError } from '../errors.js';
import { generateObject } from '../structured-output.js';
import { chatCompletion, chatError, startChatServer, type ChatServer, type ChatServerHandler } from '../testing/chat-server.js';
import { openaiModel, type OpenAIModelOptions } from './openai-model.js';

// Real HTTP on 127.0.0.1 through the real `openai` client: nothing is mocked.
let server: ChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function modelWith(handler: ChatServerHandler, options: Partial<OpenAIModelOptions> = {}) {
  server = await startChatServer(handler);
  return openaiModel({ model: 'test-model', baseURL: server.baseURL, apiKey: 'test-key', initialRetryDelayMs: 1, ...options });
}

const tools = [
  {
    name: 'total_fares',
    description: 'Sums fares',
    inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } } },
  },
];

describe('openaiModel', () => {
  it('sends messages and tools in Chat Completions shape and maps tool calls and usage back', async () => {
    const model = await modelWith(() =>
      chatCompletion({
        toolCalls: [{ id: 'call_a', name: 'total_fares', arguments: '{"fares":[229.92,360.67]}' }],
        usage: { promptTokens: 120, completionTokens: 14 },
      }),
    );
    const result = await model.generate({
      messages: [
        { role: 'system', content: 'You total fares.' },
        { role: 'user', content: 'Total these' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_0', name: 'total_fares', input: { fares: [1] } }] },
        { role: 'tool', toolCallId: 'call_0', toolName: 'total_fares', content: '1' },
      ],
      tools,
      toolChoice: { name: 'total_fares' },
      temperature: 0,
      maxOutputTokens: 100,
    });
    expect(result).toEqual({
      text: '',
      toolCalls: [{ id: 'call_a', name: 'total_fares', input: { fares: [229.92, 360.67] } }],
      finishReason: 'tool-calls',
      usage: { inputTokens: 120, outputTokens: 14 },
    });
    expect(model.provider).toBe('openai-compatible');
    expect(model.modelId).toBe('test-model');
    const sent = server?.requests[0];
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers['authorization']).toBe('Bearer test-key');
    expect(sent?.body).toMatchObject({
      model: 'test-model',
      temperature: 0,
      max_tokens: 100,
      tool_choice: { type: 'function', function: { name: 'total_fares' } },
      tools: [{ type: 'function', function: { name: 'total_fares', description: 'Sums fares', parameters: tools[0]?.inputSchema } }],
      messages: [
        { role: 'system', content: 'You total fares.' },
        { role: 'user', content: 'Total these' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'total_fares', arguments: '{"fares":[1]}' } }],
        },
        { role: 'tool', tool_call_id: 'call_0', content: '1' },
      ],
    });
  });

  it('reports malformed tool-call arguments as inputError instead of failing the call', async () => {
    const model = await modelWith(() => chatCompletion({ toolCalls: [{ name: 'total_fares', arguments: '{"fares": [1,' }] }));
    const result = await model.generate({ messages: [{ role: 'user', content: 'x' }], tools });
    expect(result.toolCalls[0]).toMatchObject({ name: 'total_fares', input: null, inputError: { raw: '{"fares": [1,' } });
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, unknown: true });
  });

  it('marks the usage unknown when the server sends none, and known when it does', async () => {
    const model = await modelWith((_request, index) => (index === 0 ? chatCompletion({ content: 'a' }) : chatCompletion({ content: 'b', usage: { promptTokens: 0, completionTokens: 0 } })));
    expect((await model.generate({ messages: [{ role: 'user', content: 'x' }] })).usage).toEqual({ inputTokens: 0, outputTokens: 0, unknown: true });
    // A server that truly counted 0 is believed: no flag.
    expect((await model.generate({ messages: [{ role: 'user', content: 'x' }] })).usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('ends a response body that stalls after its headers with MODEL_TIMEOUT, retrying within timeoutMs each', async () => {
    const model = await modelWith(() => ({ ...chatCompletion({ content: 'never finished', usage: { promptTokens: 1, completionTokens: 1 } }), stallBody: true }), { timeoutMs: 150, maxRetries: 1 });
    const error = await model.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_TIMEOUT', details: { attempts: 2, timeoutMs: 150 } });
    expect((error as Error).message).toContain('timeoutMs (150 ms)');
    expect(server?.requests).toHaveLength(2);
  });

  it('maps finish reasons, including servers that say "stop" with tool calls', async () => {
    const replies = [
      chatCompletion({ content: 'cut', finishReason: 'length' }),
      chatCompletion({ toolCalls: [{ name: 'total_fares', arguments: '' }], finishReason: 'stop' }),
      chatCompletion({ content: 'no', finishReason: 'content_filter' }),
    ];
    const model = await modelWith((_request, index) => replies[index] ?? chatError(500, 'unexpected'));
    const ask = () => model.generate({ messages: [{ role: 'user', content: 'x' }], tools });
    expect((await ask()).finishReason).toBe('length');
    const second = await ask();
    expect(second.finishReason).toBe('tool-calls');
    expect(second.toolCalls[0]?.input).toEqual({});
    expect((await ask()).finishReason).toBe('content-filter');
  });

  it('retries 429 honouring retry-after-ms, then succeeds', async () => {
    const model = await modelWith((_request, index) =>
      index === 0
        ? chatError(429, 'slow down', { 'retry-after-ms': '20' })
        : chatCompletion({ content: 'ok', usage: { promptTokens: 5, completionTokens: 1 } }),
    );
    const result = await model.generate({ messages: [{ role: 'user', content: 'x' }] });
    expect(result.text).toBe('ok');
    expect(server?.requests).toHaveLength(2);
  });

  it('retries 5xx and dropped connections with backoff', async () => {
    const model = await modelWith((_request, index) =>
      index === 0 ? chatError(503, 'overloaded') : index === 1 ? { hangUp: true } : chatCompletion({ content: 'third time' }),
    );
    expect((await model.generate({ messages: [{ role: 'user', content: 'x' }] })).text).toBe('third time');
    expect(server?.requests).toHaveLength(3);
  });

  it('gives up with MODEL_RATE_LIMITED after maxRetries', async () => {
    const model = await modelWith(() => chatError(429, 'quota', { 'retry-after': '0' }), { maxRetries: 2 });
    const error = await model.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
    expect(ToolwrightError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'MODEL_RATE_LIMITED', details: { status: 429, attempts: 3 } });
    expect(server?.requests).toHaveLength(3);
  });

  it('fails at once when retry-after exceeds maxRetryDelayMs, rather than hanging', async () => {
    const model = await modelWith(() => chatError(429, 'come back tomorrow', { 'retry-after': '86400' }), { maxRetryDelayMs: 1000 });
    const error = await model.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_RATE_LIMITED' });
    expect((error as Error).message).toContain('more than maxRetryDelayMs');
    expect(server?.requests).toHaveLength(1);
  });

  it('does not retry a 401 and says to check the key', async () => {
    const model = await modelWith(() => chatError(401, 'bad key'));
    const error = await model.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_REQUEST_FAILED', details: { status: 401, attempts: 1 } });
    expect((error as Error).message).toContain('Check the API key');
    expect(server?.requests).toHaveLength(1);
  });

  it('reports an unreachable server as MODEL_REQUEST_FAILED after its retries', async () => {
    const closed = await startChatServer(() => chatCompletion({ content: 'never' }));
    await closed.close();
    const model = openaiModel({ model: 'm', baseURL: closed.baseURL, maxRetries: 1, initialRetryDelayMs: 1 });
    const error = await model.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_REQUEST_FAILED', details: { attempts: 2 } });
    expect((error as Error).message).toContain('Could not reach the model server');
  });

  it('aborts during a request and during a retry wait with MODEL_ABORTED', async () => {
    const model = await modelWith((_request, index) =>
      index === 0 ? chatError(503, 'busy', { 'retry-after': '10' }) : chatCompletion({ content: 'late', }),
    );
    const controller = new AbortController();
    const pending = model.generate({ messages: [{ role: 'user', content: 'x' }], signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'MODEL_ABORTED' });
    expect(server?.requests).toHaveLength(1);

    const slow = await startChatServer(() => ({ ...chatCompletion({ content: 'slow' }), delayMs: 5_000 }));
    try {
      const slowModel = openaiModel({ model: 'm', baseURL: slow.baseURL });
      const second = new AbortController();
      const inFlight = slowModel.generate({ messages: [{ role: 'user', content: 'x' }], signal: second.signal });
      setTimeout(() => second.abort(), 50);
      await expect(inFlight).rejects.toMatchObject({ code: 'MODEL_ABORTED' });
      await expect(slowModel.generate({ messages: [], signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'MODEL_ABORTED' });
    } finally {
      await slow.close();
    }
  });

  it('asks for json_schema structured output and parses the object', async () => {
    const model = await modelWith(() => chatCompletion({ content: '{"total":590.59}', usage: { promptTokens: 30, completionTokens: 7 } }));
    const { object, usage } = await generateObject(model, {
      messages: [{ role: 'user', content: 'Total 229.92 and 360.67' }],
      schema: z.object({ total: z.number() }),
    });
    expect(object).toEqual({ total: 590.59 });
    expect(usage).toEqual({ inputTokens: 30, outputTokens: 7 });
    const format = (server?.requests[0]?.body as { response_format: { type: string; json_schema: { name: string; schema: Record<string, unknown> } } })
      .response_format;
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.name).toBe('answer');
    expect(format.json_schema.schema).toMatchObject({ type: 'object', properties: { total: { type: 'number' } } });
    expect(format.json_schema.schema).not.toHaveProperty('$schema');
  });

  it('uses JSON mode with the schema in the instructions for servers without json_schema', async () => {
    const model = await modelWith(() => chatCompletion({ content: '```json\n{"total": 3}\n```' }), { structuredOutput: 'json_object' });
    const { object } = await generateObject(model, { messages: [{ role: 'user', content: 'x' }], schema: z.object({ total: z.number() }) });
    expect(object).toEqual({ total: 3 });
    const body = server?.requests[0]?.body as { response_format: unknown; messages: { role: string; content: string }[] };
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages.at(-1)?.content).toContain('"total"');
  });

  it('refuses structured output that is not JSON or does not match the schema', async () => {
    const replies = [chatCompletion({ content: 'about 590' }), chatCompletion({ content: '{"total":"590"}' })];
    const model = await modelWith((_request, index) => replies[index] ?? chatError(500, 'unexpected'));
    const schema = z.object({ total: z.number() });
    await expect(generateObject(model, { messages: [], schema })).rejects.toMatchObject({ code: 'MODEL_INVALID_RESPONSE' });
    const mismatch = await generateObject(model, { messages: [], schema }).catch((caught: unknown) => caught);
    expect(mismatch).toMatchObject({ code: 'MODEL_INVALID_RESPONSE' });
    expect((mismatch as Error).message).toContain('total');
  });

  it('validates its options at the boundary', () => {
    expect(() => openaiModel({ model: '' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => openaiModel({ model: 'm', baseURL: 'not a url' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => openaiModel({ model: 'm', maxRetries: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('needs a key for OpenAI itself but not for a local server', () => {
    const saved = process.env['OPENAI_API_KEY'];
    delete process.env['OPENAI_API_KEY'];
    try {
      expect(() => openaiModel({ model: 'gpt-4o-mini' })).toThrow(/set OPENAI_API_KEY/);
      expect(openaiModel({ model: 'llama3.1', baseURL: 'http://127.0.0.1:11434/v1' }).provider).toBe('openai-compatible');
    } finally {
      if (saved !== undefined) process.env['OPENAI_API_KEY'] = saved;
    }
  });

  it('treats an empty OPENAI_API_KEY (a .env template) as no key: a local server still answers', async () => {
    const saved = process.env['OPENAI_API_KEY'];
    process.env['OPENAI_API_KEY'] = '';
    try {
      expect(() => openaiModel({ model: 'gpt-4o-mini' })).toThrow(/set OPENAI_API_KEY/);
      server = await startChatServer(() => chatCompletion({ content: 'hi', usage: { promptTokens: 2, completionTokens: 1 } }));
      const model = openaiModel({ model: 'llama3.1', baseURL: server.baseURL });
      const result = await model.generate({ messages: [{ role: 'user', content: 'hello' }] });
      expect(result.text).toBe('hi');
      expect(server.requests[0]?.headers['authorization']).toBe('Bearer not-needed');
    } finally {
      if (saved === undefined) delete process.env['OPENAI_API_KEY'];
      else process.env['OPENAI_API_KEY'] = saved;
    }
  });
});
