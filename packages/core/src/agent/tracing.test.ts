import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../errors.js';
import { ScriptedModel } from '../testing/scripted-model.js';
import { RecordingTracer } from './test-support/recording-tracer.js';
import { toolVersion } from './test-support/versions.js';
import { TOTAL_FARES } from './test-support/parts.js';
import { createTracing } from './tracing.js';
import type { AgentRunResult } from './types.js';

const model = new ScriptedModel({ modelId: 'scripted-model', script: [] });
const RESULT: AgentRunResult = { taskId: 'task-1', output: 3, text: '3', verification: { status: 'unverified', reason: 'no tool ran in this run' }, steps: [], toolCalls: [], createdTools: ['a'], reusedTools: [], tokens: { input: 120, output: 30 }, durationMs: 1 };

describe('tracing (GenAI semantic conventions)', () => {
  it('nests chat and execute_tool spans in invoke_agent, with usage and tools', async () => {
    const recording = new RecordingTracer();
    const tracing = createTracing({ tracer: () => recording.tracer });
    await tracing.invokeAgent(model, async () => {
      await tracing.chat(model, async () => ({ text: '', toolCalls: [], finishReason: 'tool-calls', usage: { inputTokens: 100, outputTokens: 20 } }));
      await tracing.executeTool(toolVersion(TOTAL_FARES), 'call_1', async () => ({ callId: 'call_1', name: 'total_fares', version: 1, input: {}, ok: false, error: { code: 'TIMEOUT', message: 'slow' }, durationMs: 5, step: 1 }));
      return RESULT;
    });
    const [agent, chat, tool] = recording.spans;
    expect(agent).toMatchObject({
      name: 'invoke_agent toolwright',
      kind: SpanKind.INTERNAL,
      parent: undefined,
      ended: true,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'toolwright', 'gen_ai.request.model': 'scripted-model', 'gen_ai.conversation.id': 'task-1', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30, 'toolwright.tools.created': 1, 'toolwright.tools.reused': 0 },
    });
    expect(chat).toMatchObject({
      name: 'chat scripted-model',
      kind: SpanKind.CLIENT,
      parent: 'invoke_agent toolwright',
      attributes: { 'gen_ai.provider.name': 'scripted', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20, 'gen_ai.response.finish_reasons': ['tool-calls'] },
    });
    expect(tool).toMatchObject({
      name: 'execute_tool total_fares',
      parent: 'invoke_agent toolwright',
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'total_fares', 'gen_ai.tool.call.id': 'call_1', 'toolwright.tool.version': 1, 'error.type': 'TIMEOUT' },
    });
  });

  it('records an error with its code and always ends the span', async () => {
    const recording = new RecordingTracer();
    const tracing = createTracing({ tracer: () => recording.tracer });
    await expect(tracing.chat(model, async () => { throw new ModelError('MODEL_RATE_LIMITED', 'slow down'); })).rejects.toMatchObject({ code: 'MODEL_RATE_LIMITED' });
    expect(recording.spans[0]).toMatchObject({ ended: true, attributes: { 'error.type': 'MODEL_RATE_LIMITED' }, status: { code: SpanStatusCode.ERROR, message: 'slow down' } });
  });

  it('costs nothing without an SDK: the global no-op tracer', async () => {
    const tracing = createTracing();
    expect(await tracing.invokeAgent(model, async () => RESULT)).toBe(RESULT);
  });
});
