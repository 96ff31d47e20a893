import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../json.js';
import { createCreateToolHandler } from './create-tool-handler.js';
import { createToolOutcomeSchema } from './create-tool-outcome.js';
import { inMemoryParts, runStateOver, TOTAL_FARES } from './test-support/parts.js';
import { createToolCallDispatcher } from './tool-call-dispatcher.js';
import { createToolRunner } from './tool-runner.js';

function setUp(answer: 'applied' | 'denied' = 'applied') {
  const parts = inMemoryParts(() => answer);
  const toolRunner = createToolRunner(parts);
  const createTool = createCreateToolHandler({ gate: parts.gate, regression: parts.regression, author: { kind: 'model', id: 'm' }, maxToolAttempts: 2, emit: parts.emit });
  return { ...parts, dispatch: createToolCallDispatcher({ toolRunner, createTool, maxToolAttempts: 2 }) };
}

describe('the tool call dispatcher', () => {
  it('answers create_tool with a CreateToolOutcome as JSON; isError only for a refusal', async () => {
    const created = setUp();
    const state = await runStateOver(created.registry);
    const answer = await created.dispatch(state, { id: 'c1', name: 'create_tool', input: TOTAL_FARES as unknown as JsonValue }, undefined);
    expect(answer.isError).toBe(false);
    expect(createToolOutcomeSchema.parse(JSON.parse(answer.content))).toMatchObject({ status: 'created', tool: 'total_fares', version: 1, passed: 2 });

    const denied = setUp('denied');
    const deniedState = await runStateOver(denied.registry);
    const refusal = await denied.dispatch(deniedState, { id: 'c1', name: 'create_tool', input: TOTAL_FARES as unknown as JsonValue }, undefined);
    expect(refusal.isError).toBe(true);
    expect(createToolOutcomeSchema.parse(JSON.parse(refusal.content))).toMatchObject({ status: 'refused', attemptsLeft: 1 });
  });

  it('refuses create_tool without asking the gate once no attempts are left', async () => {
    const { dispatch, registry, gate } = setUp();
    const state = await runStateOver(registry);
    state.refusedAttempts = 2;
    const answer = await dispatch(state, { id: 'c1', name: 'create_tool', input: { name: 'total_fares' } }, undefined);
    expect(answer.isError).toBe(true);
    expect(JSON.parse(answer.content)).toMatchObject({ status: 'refused', tool: 'total_fares', attemptsLeft: 0, reason: 'create_tool is no longer available in this run: too many refused attempts' });
    expect(gate.proposals).toEqual([]);
  });

  it('runs an active tool and sends its output as JSON; records the call on the run', async () => {
    const { dispatch, registry, install, memory } = setUp();
    install(TOTAL_FARES);
    const state = await runStateOver(registry);
    state.step = 1;
    const answer = await dispatch(state, { id: 'c1', name: 'total_fares', input: { fares: [1, 2] } }, { inputTokens: 10, outputTokens: 2 });
    expect(answer).toEqual({ content: '3', isError: false });
    expect(state.toolCalls).toMatchObject([{ name: 'total_fares', ok: true, output: 3, step: 1 }]);
    expect(memory.buffered[0]?.tokens).toEqual({ inputTokens: 10, outputTokens: 2 });
    const failed = await dispatch(state, { id: 'c2', name: 'total_fares', input: { fares: 'x' } }, undefined);
    expect(failed.isError).toBe(true);
    expect(failed.content).toMatch(/^The tool failed with THROWN: /);
  });

  it('answers malformed arguments and unknown tools with what to do', async () => {
    const { dispatch, registry } = setUp();
    const state = await runStateOver(registry);
    expect(await dispatch(state, { id: 'c1', name: 'total_fares', input: null, inputError: { message: 'Unexpected token', raw: '{' } }, undefined)).toEqual({
      content: 'The arguments of total_fares were not valid JSON (Unexpected token). Call it again with a JSON object.',
      isError: true,
    });
    expect(await dispatch(state, { id: 'c2', name: 'convert', input: {} }, undefined)).toEqual({
      content: 'There is no tool named "convert". Available: none; or write one with create_tool.',
      isError: true,
    });
  });
});

describe('the tool call dispatcher with habits of small models (issue 23)', () => {
  it('counts a create_tool call whose arguments are not JSON as a refused attempt', async () => {
    const { dispatch, registry, gate, events } = setUp();
    const state = await runStateOver(registry);
    const malformed = { id: 'c1', name: 'create_tool', input: null, inputError: { message: 'Unexpected end of JSON input', raw: '{"name":' } };
    const first = await dispatch(state, malformed, undefined);
    expect(first.isError).toBe(true);
    expect(JSON.parse(first.content)).toMatchObject({ status: 'refused', tool: '(unnamed)', attemptsLeft: 1 });
    expect(JSON.parse(first.content).reason).toContain('the arguments were not valid JSON (Unexpected end of JSON input)');
    await dispatch(state, malformed, undefined);
    expect(state.refusedAttempts).toBe(2);
    expect(JSON.parse((await dispatch(state, malformed, undefined)).content)).toMatchObject({ attemptsLeft: 0, reason: 'create_tool is no longer available in this run: too many refused attempts' });
    expect(events.filter((event) => event.type === 'tool-refused')).toHaveLength(2);
    expect(gate.proposals).toEqual([]);
  });

  it('resolves {"$ref":"input"} arguments to the task input before the tool runs', async () => {
    const { dispatch, registry, install, sandbox } = setUp();
    await install(TOTAL_FARES);
    const state = { ...(await runStateOver(registry)), input: { fares: [1, 2, 3] } };
    const whole = await dispatch(state, { id: 'c1', name: 'total_fares', input: { $ref: 'input' } }, undefined);
    expect(whole).toEqual({ content: '6', isError: false });
    const part = await dispatch(state, { id: 'c2', name: 'total_fares', input: { fares: { $ref: 'input.fares' } } }, undefined);
    expect(part).toEqual({ content: '6', isError: false });
    expect(sandbox.runs.map((run) => run.input)).toEqual([{ fares: [1, 2, 3] }, { fares: [1, 2, 3] }]);
    expect(state.toolCalls.map((call) => call.input)).toEqual([{ fares: [1, 2, 3] }, { fares: [1, 2, 3] }]);
    const unknown = await dispatch(state, { id: 'c3', name: 'total_fares', input: { $ref: 'input.prices' } }, undefined);
    expect(unknown.isError).toBe(true);
    expect(unknown.content).toContain('names nothing in the task input (its keys: fares)');
  });
});
