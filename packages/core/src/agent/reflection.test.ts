import { describe, expect, it } from 'vitest';
import { contentHash } from '../hash.js';
import { ScriptedModel } from '../testing/scripted-model.js';
import { createReflection } from './reflection.js';
import { inMemoryParts } from './test-support/parts.js';
import type { GateAnswer } from './test-support/scripted-gate.js';
import { sectionVersion } from './test-support/versions.js';

const LESSON = 'Check the input shape before summing.';
const RULE = `learned.${contentHash(LESSON).slice(0, 12)}`;
const INPUT = { taskId: 'task-3', task: 'Total these fares', what: '1 tool call(s) failed', toolCalls: [] };

function setUp(options: { answer?: GateAnswer; enabled?: boolean; learnRules?: boolean; model?: ScriptedModel } = {}) {
  const parts = inMemoryParts(() => options.answer ?? 'applied');
  const model = options.model ?? new ScriptedModel({ modelId: 'scripted-model', script: [{ object: { lesson: LESSON }, usage: { inputTokens: 30, outputTokens: 7 } }] });
  const reflection = createReflection({ model, memory: parts.memory, registry: parts.registry, gate: parts.gate, emit: parts.emit, enabled: options.enabled ?? true, learnRules: options.learnRules ?? true });
  return { ...parts, model, reflection };
}

describe('reflection', () => {
  it('asks the model for a lesson, stores it, and proposes it to the gate as a learned rule', async () => {
    const { reflection, memory, gate, registry, events, model } = setUp();
    expect(await reflection.reflect(INPUT)).toEqual({ inputTokens: 30, outputTokens: 7 });
    expect(model.calls[0]?.request.responseSchema?.name).toBe('lesson');
    expect(memory.stored).toMatchObject([{ text: LESSON, source: 'failure', tags: ['reflection'], provenance: { taskId: 'task-3' } }]);
    expect(gate.proposals).toEqual([
      {
        change: { kind: 'add-learned-rule', origin: 'agent', name: RULE, text: LESSON },
        evidence: { author: { kind: 'model', id: 'scripted-model' }, reason: 'learned from a failed run (task task-3)', taskId: 'task-3' },
      },
    ]);
    expect(await registry.active(RULE)).toMatchObject({ kind: 'prompt-section', source: LESSON });
    expect(events).toEqual([{ type: 'lesson', text: LESSON }, { type: 'rule-learned', name: RULE, text: LESSON }]);
  });

  it('reports a queued rule and a refused one by their own events', async () => {
    const queued = setUp({ answer: 'queued' });
    await queued.reflection.reflect(INPUT);
    expect(queued.events.at(-1)).toEqual({ type: 'rule-queued', name: RULE, text: LESSON, approvalId: 'approval-1' });
    const denied = setUp({ answer: 'denied' });
    await denied.reflection.reflect(INPUT);
    expect(denied.events.at(-1)).toEqual({ type: 'rule-refused', name: RULE, text: LESSON, reason: 'kill-switch: the kill switch is on' });
  });

  it('proposes a rule only once: the same text has the same name', async () => {
    const { reflection, gate, registry } = setUp();
    registry.put(sectionVersion(RULE, LESSON, { status: 'rejected' }));
    await reflection.reflect(INPUT);
    expect(gate.proposals).toEqual([]);
  });

  it('keeps the lesson but proposes no rule with learnRules false, and does nothing when disabled', async () => {
    const noRules = setUp({ learnRules: false });
    await noRules.reflection.reflect(INPUT);
    expect(noRules.memory.stored).toHaveLength(1);
    expect(noRules.gate.proposals).toEqual([]);
    const disabled = setUp({ enabled: false });
    expect(await disabled.reflection.reflect(INPUT)).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(disabled.model.calls).toEqual([]);
  });

  it('never throws: a model that cannot reflect leaves no lesson', async () => {
    const { reflection, memory } = setUp({ model: new ScriptedModel({ script: [{ error: new Error('socket hang up') }] }) });
    expect(await reflection.reflect(INPUT)).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(memory.stored).toEqual([]);
  });
});
