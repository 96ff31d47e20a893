import { describe, expect, it } from 'vitest';
import { toolSpecSchema } from '../artifact.js';
import { ModelError, StorageError } from '../errors.js';
import type { JsonValue } from '../json.js';
import { createCreateToolHandler, examplesAsCases } from './create-tool-handler.js';
import { createToolOutcomeSchema } from './create-tool-outcome.js';
import { inMemoryParts, runStateOver, TOTAL_FARES } from './test-support/parts.js';
import type { GateAnswer } from './test-support/scripted-gate.js';
import { toolSpec } from './test-support/versions.js';

const AUTHOR = { kind: 'model', id: 'scripted-model' } as const;

function setUp(answer?: GateAnswer | (() => Promise<GateAnswer>)) {
  const parts = inMemoryParts(answer === undefined ? undefined : typeof answer === 'function' ? answer : () => answer);
  const handler = createCreateToolHandler({ gate: parts.gate, regression: parts.regression, author: AUTHOR, maxToolAttempts: 3, emit: parts.emit });
  return { ...parts, handler };
}

const spec = TOTAL_FARES as unknown as JsonValue;

describe('the create_tool handler', () => {
  it('proposes a new tool to the gate with its examples as cases, and reports it created', async () => {
    const { handler, gate, registry, events } = setUp();
    const state = await runStateOver(registry, { taskId: 'task-7', task: 'Total these fares' });
    const outcome = await handler.handle(state, spec);

    expect(outcome).toEqual({ status: 'created', tool: 'total_fares', version: 1, passed: 2, message: 'Tool "total_fares" v1 passed 2 case(s) and is active. Call it now.' });
    expect(createToolOutcomeSchema.parse(outcome)).toEqual(outcome);
    expect(gate.proposals).toHaveLength(1);
    const [{ change, evidence }] = gate.proposals as [(typeof gate.proposals)[number]];
    expect(change).toMatchObject({ kind: 'create-tool', origin: 'agent', name: 'total_fares', source: TOTAL_FARES.source });
    expect(change.kind === 'create-tool' && change.spec.examples).toHaveLength(2);
    expect(evidence).toMatchObject({ author: AUTHOR, taskId: 'task-7', reason: 'written for task task-7: Total these fares' });
    expect(evidence.cases).toEqual(examplesAsCases('total_fares', toolSpecSchema.parse(TOTAL_FARES).examples));
    expect(state.tools.get('total_fares')?.version.version).toBe(1);
    expect(state.createdTools).toEqual(['total_fares']);
    expect(events).toEqual([{ type: 'tool-created', name: 'total_fares', version: 1 }]);
  });

  it("uses the task's examples when the spec has none, and puts them in the manifest", async () => {
    const { handler, gate, registry } = setUp();
    const state = await runStateOver(registry, { examples: [{ input: { fares: [4, 5] }, output: 9 }] });
    const outcome = await handler.handle(state, { ...spec as object, examples: [] } as JsonValue);
    expect(outcome).toMatchObject({ status: 'created', passed: 1 });
    const change = gate.proposals[0]?.change;
    expect(change?.kind === 'create-tool' && change.spec.examples).toEqual([{ input: { fares: [4, 5] }, output: 9 }]);
  });

  it('reuses an active tool that passes every example, and proposes nothing', async () => {
    const { handler, gate, registry, install, events } = setUp();
    install({ ...TOTAL_FARES, name: 'sum_fares' });
    const state = await runStateOver(registry);
    const outcome = await handler.handle(state, spec);
    expect(outcome).toMatchObject({ status: 'reused', tool: 'sum_fares' });
    expect(gate.proposals).toEqual([]);
    expect(state.reusedTools).toEqual(['sum_fares']);
    expect(events).toEqual([{ type: 'tool-reused', name: 'sum_fares' }]);
  });

  it('refuses an invalid spec, a spec without examples and a name taken by another active tool, counting attempts', async () => {
    const { handler, gate, registry, install, events } = setUp();
    install(toolSpec({ name: 'total_fares', language: 'js', source: 'export default () => -1;' }));
    const state = await runStateOver(registry);
    const invalid = await handler.handle(state, { name: 'Total Fares' });
    expect(invalid).toMatchObject({ status: 'refused', tool: 'Total Fares', attemptsLeft: 2 });
    expect(invalid.status === 'refused' && invalid.reason).toMatch(/^the tool spec is invalid:/);
    const bare = await handler.handle(state, { ...spec as object, name: 'other_total', examples: [] } as JsonValue);
    expect(bare).toMatchObject({ status: 'refused', tool: 'other_total', attemptsLeft: 1, reason: expect.stringContaining('give at least one example') });
    const taken = await handler.handle(state, spec);
    expect(taken).toMatchObject({ status: 'refused', attemptsLeft: 0, message: expect.stringContaining('(no attempts left in this run)') });
    expect(taken.status === 'refused' && taken.reason).toBe('a different tool named "total_fares" is already active; choose another name');
    expect(gate.proposals).toEqual([]);
    expect(state.refusedAttempts).toBe(3);
    expect(events.map((event) => event.type)).toEqual(['tool-refused', 'tool-refused', 'tool-refused']);
  });

  it('reports a tool that waits for a person as queued, not callable in this run', async () => {
    const { handler, registry, events } = setUp('queued');
    const state = await runStateOver(registry);
    const outcome = await handler.handle(state, spec);
    expect(outcome).toMatchObject({ status: 'queued', tool: 'total_fares', version: 1, approvalId: 'approval-1', reasons: ['capability-envelope: network tools need a person'] });
    expect(state.tools.has('total_fares')).toBe(false);
    expect(state.refusedAttempts).toBe(0);
    expect(events).toEqual([{ type: 'tool-queued', name: 'total_fares', version: 1, approvalId: 'approval-1' }]);
  });

  it.each([
    ['denied', 'the safety policy denied it — kill-switch: the kill switch is on'],
    ['failed-regression', 'it failed its examples — case-000: expected 3, got 2'],
    ['failed', 'the sandbox refused the source — SANDBOX_STATIC_GATE: eval is not allowed'],
  ] as const)('maps the gate outcome %s to a refusal that says why', async (status, reason) => {
    const { handler, registry } = setUp(status);
    const state = await runStateOver(registry);
    const outcome = await handler.handle(state, spec);
    expect(outcome).toEqual({ status: 'refused', tool: 'total_fares', reason, attemptsLeft: 2, message: `create_tool refused: ${reason} (2 attempts left)` });
    expect(state.tools.has('total_fares')).toBe(false);
  });

  it('refuses when the gate throws, but lets an abort through', async () => {
    const storage = setUp(async () => {
      throw new StorageError('STORAGE_FAILED', 'disk full');
    });
    const outcome = await storage.handler.handle(await runStateOver(storage.registry), spec);
    expect(outcome).toMatchObject({ status: 'refused', reason: 'STORAGE_FAILED: disk full' });

    const aborted = setUp(async () => {
      throw new ModelError('MODEL_ABORTED', 'aborted');
    });
    await expect(aborted.handler.handle(await runStateOver(aborted.registry), spec)).rejects.toMatchObject({ code: 'MODEL_ABORTED' });
  });
});
