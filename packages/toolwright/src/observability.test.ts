import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ScriptedModel } from '@toolwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolwright } from './create-toolwright.js';

// The library depends on @opentelemetry/api only; here a real SDK (in-memory exporter) records
// the spans, as an application's SDK would.
const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});
afterAll(() => {
  trace.disable();
  context.disable();
});

const TOOL = {
  name: 'double_it',
  description: 'Doubles a number.',
  inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  source: 'export default ({ n }: { n: number }) => n * 2;',
  examples: [{ input: { n: 2 }, output: 4 }],
};

describe('OpenTelemetry spans (GenAI semantic conventions)', () => {
  it('emits invoke_agent, chat {model} and execute_tool {tool} spans with token usage, nested', async () => {
    const model = new ScriptedModel({
      modelId: 'scripted-model',
      script: [
        { toolCalls: [{ name: 'create_tool', input: TOOL }], usage: { inputTokens: 100, outputTokens: 40 } },
        { toolCalls: [{ name: 'double_it', input: { n: 21 } }], usage: { inputTokens: 120, outputTokens: 9 } },
        { text: '42', usage: { inputTokens: 130, outputTokens: 2 } },
      ],
    });
    const tw = await createToolwright({ database: 'sqlite::memory:', model, improve: false, reflect: false });
    try {
      exporter.reset();
      const result = await tw.run('Double 21', { input: { n: 21 } });
      expect(result.output).toBe(42);
    } finally {
      await tw.close();
    }
    const spans = exporter.getFinishedSpans();
    const agent = spans.find((span) => span.name === 'invoke_agent toolwright');
    const chats = spans.filter((span) => span.name === 'chat scripted-model');
    const tool = spans.find((span) => span.name === 'execute_tool double_it');
    expect(agent?.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'toolwright',
      'gen_ai.usage.input_tokens': 350,
      'gen_ai.usage.output_tokens': 51,
      'toolwright.tools.created': 1,
    });
    expect(chats).toHaveLength(3);
    expect(chats[0]?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'scripted',
      'gen_ai.request.model': 'scripted-model',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.response.finish_reasons': ['tool-calls'],
    });
    expect(tool?.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'double_it', 'toolwright.tool.version': 1 });
    const agentSpanId = agent?.spanContext().spanId;
    for (const span of [...chats, tool]) expect(span?.parentSpanContext?.spanId).toBe(agentSpanId);
  });

  it('marks a failing tool call with error.type', async () => {
    const model = new ScriptedModel({
      script: [{ toolCalls: [{ name: 'create_tool', input: TOOL }] }, { toolCalls: [{ name: 'double_it', input: { n: 'x' } }] }, { text: 'no' }],
    });
    const tw = await createToolwright({ database: 'sqlite::memory:', model, improve: false, reflect: false, sandbox: { timeoutMs: 1_000 } });
    try {
      exporter.reset();
      await tw.run('Double x', { input: { n: 'x' } });
    } finally {
      await tw.close();
    }
    const tool = exporter.getFinishedSpans().find((span) => span.name === 'execute_tool double_it');
    // 'x' * 2 is NaN, which JSON cannot carry: the sandbox reports INVALID_OUTPUT.
    expect(tool?.attributes['error.type']).toBe('INVALID_OUTPUT');
  });
});
