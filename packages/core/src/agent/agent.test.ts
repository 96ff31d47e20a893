import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../json.js';
import { ScriptedModel, type ScriptStep } from '../testing/scripted-model.js';
import { createAgent, type CreateAgentOptions } from './agent.js';
import { createToolOutcomeSchema } from './create-tool-outcome.js';
import type { AgentEvent } from './events.js';
import { fixedEvaluator, fixedRewriter, inMemoryParts, TOTAL_FARES } from './test-support/parts.js';
import { summaryOf } from './test-support/versions.js';

function setUp(script: ScriptStep[], options: Partial<CreateAgentOptions> = {}) {
  const parts = inMemoryParts();
  const model = new ScriptedModel({ modelId: 'scripted-model', script });
  const events: AgentEvent[] = [];
  const agent = createAgent({
    model,
    sandbox: parts.sandbox,
    memory: parts.memory,
    registry: parts.registry,
    evaluator: fixedEvaluator('healthy'),
    rewriter: fixedRewriter([]),
    regression: parts.regression,
    gate: parts.gate,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { ...parts, model, agent, events };
}

const CREATE: ScriptStep = { toolCalls: [{ name: 'create_tool', input: TOTAL_FARES as unknown as JsonValue }], usage: { inputTokens: 100, outputTokens: 40 } };

describe('createAgent (wiring)', () => {
  it('writes a tool through the gate, calls it, and answers; the model reads the outcome as JSON', async () => {
    const { agent, model, gate, events, memory } = setUp([CREATE, { toolCalls: [{ name: 'total_fares', input: { fares: [229.92, 360.67] } }] }, { text: '590.59' }], { improve: false });
    const result = await agent.run('Total these fares', { input: { fares: [229.92, 360.67] } });

    expect(result).toMatchObject({ output: 590.59, createdTools: ['total_fares'], reusedTools: [], tokens: { input: 100, output: 40 } });
    expect(gate.proposals.map(({ change }) => change.kind)).toEqual(['create-tool']);
    const toolResult = model.calls[1]?.request.messages.at(-1);
    expect(toolResult).toMatchObject({ role: 'tool', toolName: 'create_tool' });
    expect(toolResult).not.toHaveProperty('isError');
    expect(createToolOutcomeSchema.parse(JSON.parse(toolResult?.content ?? ''))).toMatchObject({ status: 'created', tool: 'total_fares', version: 1 });
    expect(model.calls[1]?.request.tools?.map((tool) => tool.name)).toEqual(['total_fares', 'create_tool']);
    expect(events.map((event) => event.type)).toEqual(['tool-created', 'tool-called']);
    await agent.close();
    expect(memory.invocations).toHaveLength(1);
  });

  it('reuses the tool in a later run, and counts calls toward an awaited improvement cycle', async () => {
    const { agent, install, memory, events } = setUp(
      [{ toolCalls: [{ name: 'total_fares', input: { fares: [1] } }, { name: 'total_fares', input: { fares: [2] } }] }, { text: 'done' }],
      { improve: { everyNCalls: 2, inBackground: false } },
    );
    install(TOTAL_FARES);
    memory.summaries = (tool) => summaryOf(tool, 10);
    const result = await agent.run('Total twice');
    expect(result.reusedTools).toEqual(['total_fares']);
    expect(events.filter((event) => event.type === 'improvement')).toMatchObject([{ report: { tools: [{ tool: 'total_fares', outcome: 'healthy' }] } }]);
  });

  it('serves a direct call through the same runner, and refuses an unknown tool with a code', async () => {
    const { agent, install, memory } = setUp([], { improve: false });
    install(TOTAL_FARES);
    expect(await agent.call('total_fares', { fares: [1, 2.5] }, { taskId: 'api-1' })).toMatchObject({ name: 'total_fares', version: 1, ok: true, output: 3.5, step: 0 });
    expect(memory.buffered[0]).toMatchObject({ taskId: 'api-1', modelTurn: 0 });
    await expect(agent.call('no_such_tool', {})).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
  });

  it('puts the immutable sections first and the active learned rules after them', async () => {
    const { agent, model, gate } = setUp([{ text: 'ok' }], { instructions: { immutable: [{ name: 'house-rules', text: 'Never send personal data anywhere.' }] } });
    await gate.propose({ kind: 'add-learned-rule', origin: 'agent', name: 'learned.abc', text: 'Check the input shape.' });
    await agent.run('Say ok');
    const system = model.calls[0]?.request.messages[0]?.content ?? '';
    expect(system.startsWith('Never send personal data anywhere.')).toBe(true);
    expect(system).toContain('Learned rules:\n- Check the input shape.');
  });

  it('needs every part, including the gate, and takes no policy', () => {
    const { agent: _agent, events: _events, model, ...parts } = setUp([]);
    const complete = { model, sandbox: parts.sandbox, memory: parts.memory, registry: parts.registry, evaluator: fixedEvaluator('healthy'), rewriter: fixedRewriter([]), regression: parts.regression, gate: parts.gate };
    expect(() => createAgent({ ...complete, gate: undefined as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('"gate"') }));
    expect(() => createAgent({ ...complete, policy: { review: async () => ({ outcome: 'allow', reasons: [] }) } } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses work after close with AGENT_CLOSED', async () => {
    const { agent } = setUp([]);
    await agent.close();
    await expect(agent.run('Total')).rejects.toMatchObject({ code: 'AGENT_CLOSED' });
    await expect(agent.call('total_fares', {})).rejects.toMatchObject({ code: 'AGENT_CLOSED' });
  });
});
