import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AgentError, ModelError } from '../errors.js';
import type { LanguageModel, TokenUsage } from '../model.js';
import { partialRunOf } from './run-partial.js';
import { ScriptedModel, type ScriptStep } from '../testing/scripted-model.js';
import type { ReflectionInput } from './reflection.js';
import { createRunLoop } from './run-loop.js';
import { activeToolOf, type ActiveTool, type RunState } from './run-state.js';
import { TOTAL_FARES } from './test-support/parts.js';
import { toolVersion } from './test-support/versions.js';
import type { ToolCallDispatcher } from './tool-call-dispatcher.js';
import { createTracing } from './tracing.js';

function setUp(script: ScriptStep[], options: { maxSteps?: number; maxToolAttempts?: number; dispatch?: ToolCallDispatcher; tools?: ActiveTool[]; runTimeoutMs?: number; turnTimeoutMs?: number; model?: LanguageModel } = {}) {
  const model = options.model ?? new ScriptedModel({ modelId: 'scripted-model', script, whenExhausted: 'repeat-last' });
  const reflections: ReflectionInput[] = [];
  const dispatched: { state: RunState; name: string; turnUsage?: TokenUsage | undefined }[] = [];
  const dispatch: ToolCallDispatcher = options.dispatch ?? (async (state, call, turnUsage) => {
    dispatched.push({ state, name: call.name, turnUsage });
    state.toolCalls.push({ callId: call.id, name: call.name, version: 1, input: call.input, ok: true, output: 3, durationMs: 1, step: state.step });
    return { content: '3', isError: false };
  });
  const loop = createRunLoop({
    model,
    tracing: createTracing(),
    instructions: async (task) => ({ text: `system prompt for ${task}`, tokens: 5, sections: [], preferences: 0, settle: () => undefined }),
    activeTools: async () => new Map((options.tools ?? []).map((tool) => [tool.version.name, tool])),
    dispatch,
    reflection: { reflect: async (input) => (reflections.push(input), { inputTokens: 5, outputTokens: 1 }) },
    maxSteps: options.maxSteps ?? 12,
    maxToolAttempts: options.maxToolAttempts ?? 3,
    ...(options.runTimeoutMs === undefined ? {} : { runTimeoutMs: options.runTimeoutMs }),
    ...(options.turnTimeoutMs === undefined ? {} : { turnTimeoutMs: options.turnTimeoutMs }),
  });
  return { model: model as ScriptedModel, loop, reflections, dispatched };
}

const total = activeToolOf(toolVersion(TOTAL_FARES)) as ActiveTool;

describe('the run loop', () => {
  it('sends the task, calls tools until the model answers, and sums the tokens of every turn', async () => {
    const { loop, model, dispatched, reflections } = setUp([
      { toolCalls: [{ name: 'total_fares', input: { fares: [1, 2] } }], usage: { inputTokens: 50, outputTokens: 8 } },
      { text: '3', usage: { inputTokens: 60, outputTokens: 2 } },
    ], { tools: [total] });
    const result = await loop.run('Total these fares', { input: { fares: [1, 2] }, examples: [{ input: { fares: [1] }, output: 1 }], taskId: 'task-9' });

    expect(result).toMatchObject({ taskId: 'task-9', output: 3, text: '3', createdTools: [], reusedTools: ['total_fares'], tokens: { input: 110, output: 10 } });
    expect(result.steps.map((step) => step.toolCalls)).toEqual([['total_fares'], []]);
    expect(dispatched.map((entry) => entry.name)).toEqual(['total_fares']);
    const [first, second] = model.calls;
    expect(first?.request.messages).toEqual([
      { role: 'system', content: 'system prompt for Total these fares' },
      { role: 'user', content: 'Total these fares\n\nInput (JSON):\n{"fares":[1,2]}\n\nExamples (input → expected output):\n{"fares":[1]} → 1' },
    ]);
    expect(first?.request.task).toEqual({ text: 'Total these fares', input: { fares: [1, 2] }, examples: [{ input: { fares: [1] }, output: 1 }] });
    expect(first?.request.tools?.map((tool) => tool.name)).toEqual(['total_fares', 'create_tool']);
    expect(second?.request.messages.at(-1)).toEqual({ role: 'tool', toolCallId: 'call_1', toolName: 'total_fares', content: '3' });
    expect(reflections).toEqual([]);
  });

  it('sends an error result with isError, and reflects after a run with failed calls', async () => {
    const { loop, model, reflections } = setUp([{ toolCalls: [{ name: 'total_fares', input: {} }] }, { text: 'done' }], {
      dispatch: async (state, call) => {
        state.toolCalls.push({ callId: call.id, name: call.name, version: 1, input: call.input, ok: false, error: { code: 'THROWN', message: 'boom' }, durationMs: 1, step: state.step });
        return { content: 'The tool failed with THROWN: boom', isError: true };
      },
    });
    const result = await loop.run('Total', { taskId: 'task-2' });
    expect(model.calls[1]?.request.messages.at(-1)).toMatchObject({ role: 'tool', isError: true });
    expect(reflections).toEqual([{ taskId: 'task-2', task: 'Total', what: '1 tool call(s) failed', toolCalls: result.toolCalls }]);
    expect(result.tokens).toEqual({ input: 5, output: 1 });
  });

  it('stops offering create_tool once the refused attempts reach the limit', async () => {
    const { loop, model } = setUp([{ toolCalls: [{ name: 'create_tool', input: {} }] }, { text: 'I give up.' }], {
      maxToolAttempts: 1,
      dispatch: async (state) => {
        state.refusedAttempts++;
        return { content: '{"status":"refused"}', isError: true };
      },
    });
    await loop.run('Total');
    expect(model.calls[0]?.request.tools?.map((tool) => tool.name)).toEqual(['create_tool']);
    expect(model.calls[1]?.request.tools).toEqual([]);
  });

  it('fails with AGENT_STEP_LIMIT and the trace after maxSteps turns, having reflected', async () => {
    const { loop, reflections } = setUp([{ toolCalls: [{ name: 'total_fares', input: {} }] }], { maxSteps: 2 });
    const error = await loop.run('Loop forever', { taskId: 'task-4' }).catch((caught: unknown) => caught);
    expect(AgentError.isInstance(error) && error.code).toBe('AGENT_STEP_LIMIT');
    expect((error as AgentError).details).toMatchObject({ taskId: 'task-4', trace: [{ step: 1 }, { step: 2 }] });
    expect(reflections.map((input) => input.what)).toEqual(['the step limit (2) was reached without a final answer']);
  });

  it('answers with structured output and no tools for the static baseline', async () => {
    const { loop, model } = setUp([{ text: '{"total": 3}', usage: { inputTokens: 9, outputTokens: 4 } }]);
    const result = await loop.run('Total', { tools: 'none', schema: z.object({ total: z.number() }) });
    expect(result).toMatchObject({ output: { total: 3 }, tokens: { input: 9, output: 4 }, toolCalls: [] });
    expect(model.calls[0]?.request.tools).toBeUndefined();
    expect(model.calls[0]?.request.responseSchema?.name).toBe('answer');
  });

  it('refuses a missing task and unknown options with INVALID_ARGUMENT', async () => {
    const { loop } = setUp([]);
    await expect(loop.run('  ')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(loop.run('Total', { bogus: true } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe("the run loop with a real model's habits (issue 23)", () => {
  const step1: ScriptStep = { toolCalls: [{ name: 'total_fares', input: { fares: [1, 2] } }], usage: { inputTokens: 50, outputTokens: 8 } };

  it('ends a model turn that outlives turnTimeoutMs with MODEL_TIMEOUT, and the partial run', async () => {
    const { loop } = setUp([step1, { text: 'late', delayMs: 60_000 }], { tools: [total], turnTimeoutMs: 50 });
    const error = await loop.run('Total', { taskId: 'task-t' }).catch((caught: unknown) => caught);
    expect(ModelError.isInstance(error) && error.code).toBe('MODEL_TIMEOUT');
    expect(partialRunOf(error)).toMatchObject({ taskId: 'task-t', failedAtStep: 2, steps: [{ step: 1 }], toolCalls: [{ name: 'total_fares' }], tokens: { input: 50, output: 8, unknown: true } });
  });

  it('holds the turn deadline for a model that ignores its signal', async () => {
    const deaf: LanguageModel = { specificationVersion: 'toolwright.model.v1', provider: 'deaf', modelId: 'deaf', generate: () => new Promise(() => undefined) };
    const { loop } = setUp([], { model: deaf, turnTimeoutMs: 30 });
    await expect(loop.run('Total')).rejects.toMatchObject({ code: 'MODEL_TIMEOUT', details: { step: 1, turnTimeoutMs: 30 } });
  });

  it('ends a run that outlives its deadline with AGENT_TIMEOUT; a run option overrides the default', async () => {
    // The deadline's clock is the test's: it runs out once the model is at step 2, however slow the machine is.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let atStepTwo!: () => void;
      const reached = new Promise<void>((resolve) => (atStepTwo = resolve));
      const second: ScriptStep = () => {
        atStepTwo();
        return { text: 'late', delayMs: 60_000 };
      };
      const { loop } = setUp([step1, second], { tools: [total], runTimeoutMs: 60_000, turnTimeoutMs: 60_000 });
      const running = loop.run('Total', { timeoutMs: 50 }).catch((caught: unknown) => caught);
      await reached;
      await vi.advanceTimersByTimeAsync(50);
      const error = await running;
      expect(AgentError.isInstance(error) && error.code).toBe('AGENT_TIMEOUT');
      expect((error as AgentError).details).toMatchObject({ runTimeoutMs: 50, step: 2, partial: { failedAtStep: 2 } });
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps a caller's abort as MODEL_ABORTED, with the partial run", async () => {
    const { loop } = setUp([{ text: 'late', delayMs: 60_000 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await loop.run('Total', { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_ABORTED' });
    expect(partialRunOf(error)).toMatchObject({ failedAtStep: 1, steps: [] });
  });

  it('reports what the run did on a model error mid-run, on the same error class and code', async () => {
    const { loop } = setUp([step1, { error: new ModelError('MODEL_RATE_LIMITED', 'The model server kept answering 429.') }], { tools: [total] });
    const error = await loop.run('Total').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'MODEL_RATE_LIMITED', cause: { code: 'MODEL_RATE_LIMITED' } });
    expect((error as Error).message).toMatch(/^The model server kept answering 429\. The run had done 1 model turn\(s\), 1 tool call\(s\), using at least 58 tokens; details\.partial holds them\.$/);
    expect(partialRunOf(error)?.tokens).toEqual({ input: 50, output: 8, unknown: true });
    expect(partialRunOf(new Error('plain'))).toBeUndefined();
  });

  it('marks the tokens unknown when a turn reported no usage, and charges no invocation with it', async () => {
    const { loop, dispatched } = setUp([{ ...step1, usage: 'unknown' }, { text: '3', usage: { inputTokens: 60, outputTokens: 2 } }], { tools: [total] });
    const result = await loop.run('Total');
    expect(result.tokens).toEqual({ input: 60, output: 2, unknown: true });
    expect(dispatched[0]?.turnUsage).toBeUndefined();
    expect(result.verification).toEqual({ status: 'verified', tool: 'total_fares', version: 1, step: 1, from: 'json' });
  });
});
