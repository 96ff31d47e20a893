import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolSpecInput } from '@toolwright/core';
import { ScriptedModel } from '@toolwright/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createToolwright, type Toolwright, type ToolwrightOptions } from './create-toolwright.js';
import { replay, type ModelKind, type ReplayModel, type Turn } from './test-support/models.js';

// The agent over real parts: SQLite files, the isolated-vm sandbox, the default policy, the
// regression runner. Models: ScriptedModel, and the real `openai` client against a real
// OpenAI-compatible HTTP server on 127.0.0.1 replaying the same turns.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-agent-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let databases = 0;
const freshDatabase = (): string => `sqlite:${join(directory, `db-${++databases}.sqlite`)}`;

const open: Toolwright[] = [];
const replays: ReplayModel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((toolwright) => toolwright.close()));
  await Promise.all(replays.splice(0).map((model) => model.close()));
});

async function start(kind: ModelKind, turns: readonly Turn[], options: ToolwrightOptions = {}): Promise<{ tw: Toolwright; model: ReplayModel }> {
  const model = await replay(kind, turns);
  replays.push(model);
  const tw = await createToolwright({ database: freshDatabase(), improve: false, reflect: false, ...options, model: model.model });
  open.push(tw);
  return { tw, model };
}

const TOTAL_FARES: ToolSpecInput = {
  name: 'total_fares',
  description: 'Sums a list of fares, rounded to cents.',
  inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] },
  source: [
    'export default function totalFares({ fares }: { fares: number[] }): number {',
    '  return Math.round(fares.reduce((sum, fare) => sum + fare, 0) * 100) / 100;',
    '}',
  ].join('\n'),
  examples: [
    { input: { fares: [1, 2] }, output: 3 },
    { input: { fares: [229.92, 360.67] }, output: 590.59 },
  ],
};
const FARES = { fares: [229.92, 360.67, 99.5] };

/** Installs total_fares as an integrator would: a person's change, through the gate. */
async function installTotalFares(tw: Toolwright): Promise<void> {
  const { source, ...spec } = TOTAL_FARES;
  const outcome = await tw.gate.propose(
    { kind: 'create-tool', origin: 'person', name: 'total_fares', source, spec: { language: 'ts', capabilities: [], examples: [], ...spec } as never },
    { by: 'integrator', reason: 'installed by the test' },
  );
  expect(outcome.status, outcome.summary).toBe('applied');
}

for (const kind of ['scripted', 'openai-http'] as const) {
  describe(`the agent over ${kind}`, () => {
    it('authors a tool through create_tool and uses it in the same run, metering the call', async () => {
      const { tw } = await start(kind, [
        { calls: [{ name: 'create_tool', input: TOTAL_FARES as never }], usage: [300, 120] },
        { calls: [{ name: 'total_fares', input: FARES }], usage: [450, 12] },
        { text: '690.09', usage: [480, 4] },
      ]);
      const result = await tw.run('Total these fares', { input: FARES });
      expect(result.output).toBe(690.09);
      expect(result.createdTools).toEqual(['total_fares']);
      expect(result.reusedTools).toEqual([]);
      expect(result.tokens).toEqual({ input: 1230, output: 136 });
      expect(result.toolCalls).toMatchObject([{ name: 'total_fares', version: 1, ok: true, output: 690.09, step: 2 }]);

      const active = await tw.registry.active('total_fares');
      expect(active).toMatchObject({ version: 1, status: 'active', author: { kind: 'model' } });
      expect(await tw.regression.cases('total_fares', { includeHeldOut: true })).toHaveLength(2 + 1); // two examples, one captured call
      await tw.memory.flush();
      const summary = await tw.memory.summary('total_fares', { lastN: 10 });
      expect(summary).toMatchObject({ count: 1, successCount: 1 });
      const audit = await tw.memory.auditLog({ artifact: 'total_fares' });
      expect(audit.map((entry) => entry.action)).toContain('create-tool.applied');
    });

    it('reuses the tool from a fresh agent on the same database instead of writing it again', async () => {
      const database = freshDatabase();
      const first = await start(kind, [
        { calls: [{ name: 'create_tool', input: TOTAL_FARES as never }] },
        { calls: [{ name: 'total_fares', input: FARES }] },
        { text: '690.09' },
      ], { database });
      await first.tw.run('Total these fares', { input: FARES });
      await first.tw.close();

      // The model tries to write the same capability again (under another name): the agent points it at the existing tool.
      const second = await start(kind, [
        { calls: [{ name: 'create_tool', input: { ...TOTAL_FARES, name: 'sum_fares' } as never }] },
        { calls: [{ name: 'total_fares', input: { fares: [10, 20.5] } }] },
        { text: '30.5' },
      ], { database });
      const result = await second.tw.run('Total these fares', { input: { fares: [10, 20.5] } });
      expect(result.output).toBe(30.5);
      expect(result.createdTools).toEqual([]);
      expect(result.reusedTools).toEqual(['total_fares']);
      expect((await second.tw.registry.history('total_fares')).map((version) => version.version)).toEqual([1]);
      expect(await second.tw.registry.history('sum_fares')).toEqual([]);
    });

    it('tells the model when tool-call arguments are not JSON, and the run goes on with nothing lost', async () => {
      const { tw, model } = await start(kind, [
        { calls: [{ name: 'total_fares', rawArguments: '{"fares": [1,' }] },
        { calls: [{ name: 'total_fares', input: { fares: [1, 2] } }] },
        { text: '3' },
      ]);
      await installTotalFares(tw);
      const result = await tw.run('Total 1 and 2');
      expect(result.output).toBe(3);
      expect(result.toolCalls).toHaveLength(1);
      expect(model.requests()).toBe(3);
      if (model.model instanceof ScriptedModel) {
        const toolMessage = model.model.calls[1]?.request.messages.at(-1);
        expect(toolMessage).toMatchObject({ role: 'tool', isError: true });
        expect(toolMessage?.content).toContain('not valid JSON');
      }
    });

    it('answers a call to a tool that does not exist with the tools that do', async () => {
      const { tw, model } = await start(kind, [{ calls: [{ name: 'convert_currency', input: { amount: 1 } }] }, { text: 'I cannot convert currencies.' }]);
      await installTotalFares(tw);
      const result = await tw.run('Convert 1 EUR to USD');
      expect(result.output).toBe('I cannot convert currencies.');
      expect(result.toolCalls).toEqual([]);
      if (model.model instanceof ScriptedModel) {
        expect(model.model.calls[1]?.request.messages.at(-1)?.content).toContain('There is no tool named "convert_currency". Available: total_fares');
      }
    });

    it('stops a model that never stops calling tools at the step limit, with the partial trace', async () => {
      const loop: Turn = { calls: [{ name: 'total_fares', input: { fares: [1] } }], usage: [10, 1] };
      const { tw } = await start(kind, [loop, loop, loop], { maxSteps: 3 });
      await installTotalFares(tw);
      const error = await tw.run('Total forever').catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'AGENT_STEP_LIMIT' });
      const details = (error as { details: { trace: unknown[]; toolCalls: unknown[]; tokens: unknown } }).details;
      expect(details.trace).toHaveLength(3);
      expect(details.toolCalls).toHaveLength(3);
      expect(details.tokens).toEqual({ inputTokens: 30, outputTokens: 3 });
    });

    it('reports a tool that fails in the sandbox to the model, records the failure, and stores a lesson', async () => {
      const { tw } = await start(
        kind,
        [
          { calls: [{ name: 'total_fares', input: { fares: 'not a list' } }] },
          { text: 'I could not finish: the tool failed.' },
          { text: '{"lesson":"Pass fares as a list of numbers."}' },
        ],
        { reflect: true },
      );
      await installTotalFares(tw);
      const result = await tw.run('Total these fares');
      expect(result.toolCalls).toMatchObject([{ name: 'total_fares', ok: false, error: { code: 'THROWN' } }]);
      await tw.memory.flush();
      const summary = await tw.memory.summary('total_fares', { lastN: 10 });
      expect(summary).toMatchObject({ count: 1, successCount: 0, errors: [{ code: 'THROWN', count: 1 }] });
      expect((await tw.memory.lessons()).map((lesson) => lesson.text)).toEqual(['Pass fares as a list of numbers.']);
      // The lesson was proposed to the gate as a learned rule; by default a person approves it first.
      expect(await tw.registry.list({ kind: 'prompt-section', status: 'active' })).toEqual([]);
      const [request] = await tw.policy.approvals.list({ status: 'proposed' });
      expect(request?.change).toMatchObject({ kind: 'add-learned-rule', origin: 'agent', text: 'Pass fares as a list of numbers.' });
      expect((await tw.approve(request?.id ?? '', { by: 'ada' })).status).toBe('applied');
      const rules = await tw.registry.list({ kind: 'prompt-section', status: 'active' });
      expect(rules.map((rule) => rule.source)).toEqual(['Pass fares as a list of numbers.']);
      expect(rules[0]?.name).toMatch(/^learned\.[0-9a-f]{12}$/);
    });

    it('includes learned rules and relevant lessons in the next run\'s instructions, within the budget', async () => {
      const { tw, model } = await start(kind, [{ text: 'ok' }]);
      await tw.memory.addLesson({ text: 'Fares are in EUR unless stated.', source: 'person', tags: ['fares'] });
      await tw.memory.addLesson({ text: 'x'.repeat(1990), source: 'person', tags: ['noise'] });
      const rule = await tw.gate.propose({ kind: 'add-learned-rule', origin: 'person', name: 'learned.rounding', text: 'Round money to cents.' }, { by: 'ada' });
      expect(rule.status, rule.summary).toBe('applied');
      await tw.run('Total the fares');
      if (model.model instanceof ScriptedModel) {
        const system = model.model.calls[0]?.request.messages[0]?.content ?? '';
        expect(system).toContain('Learned rules:\n- Round money to cents.');
        expect(system).toContain('- Fares are in EUR unless stated.');
        expect(system).not.toContain('xxxx');
      }
    });
  });
}

describe('direct calls', () => {
  it('serves a direct call through the sandbox with metering, and refuses an unknown tool with a code', async () => {
    const { tw } = await start('scripted', []);
    await installTotalFares(tw);
    const call = await tw.call('total_fares', { fares: [1, 2.5] }, { taskId: 'api-request-1' });
    expect(call).toMatchObject({ name: 'total_fares', version: 1, ok: true, output: 3.5 });
    const failed = await tw.call('total_fares', { fares: 'nope' });
    expect(failed).toMatchObject({ ok: false, error: { code: 'THROWN' } });
    await tw.memory.flush();
    expect(await tw.memory.summary('total_fares', { lastN: 10 })).toMatchObject({ count: 2, successCount: 1 });
    await expect(tw.call('no_such_tool', {})).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
  });
});

describe('the agent over openai-http only', () => {
  it('retries a 429 from the model server and then succeeds', async () => {
    const { tw, model } = await start('openai-http', [{ status: 429, retryAfterMs: 5 }, { text: '42' }]);
    const result = await tw.run('What is six times seven?');
    expect(result.output).toBe(42);
    expect(model.requests()).toBe(2);
  });
});

describe('authoring through the gate', () => {
  it('refuses a tool that fails its examples, keeps the rejected version, and says why', async () => {
    const wrong = { ...TOTAL_FARES, source: 'export default ({ fares }: { fares: number[] }) => fares.length;' };
    const { tw, model } = await start('scripted', [{ calls: [{ name: 'create_tool', input: wrong as never }] }, { text: 'I cannot write a working tool.' }]);
    const result = await tw.run('Total these fares', { input: FARES });
    expect(result.createdTools).toEqual([]);
    expect((await tw.registry.history('total_fares')).map((version) => version.status)).toEqual(['rejected']);
    const refusal = (model.model as ScriptedModel).calls[1]?.request.messages.at(-1)?.content ?? '';
    expect(refusal).toContain('create_tool refused: it failed its examples');
  });

  it('refuses source the sandbox rejects, and stops offering create_tool after the attempt limit', async () => {
    const evil = { ...TOTAL_FARES, source: 'export default () => eval("1 + 1");' };
    const attempt: Turn = { calls: [{ name: 'create_tool', input: evil as never }] };
    const { tw, model } = await start('scripted', [attempt, attempt, { text: 'I give up.' }], { maxToolAttempts: 2 });
    await tw.run('Total these fares', { input: FARES });
    const calls = (model.model as ScriptedModel).calls;
    expect(calls[1]?.request.messages.at(-1)?.content).toMatch(/the sandbox refused the source — SANDBOX_STATIC_GATE/);
    expect(calls[1]?.request.tools?.map((tool) => tool.name)).toContain('create_tool');
    expect(calls[2]?.request.tools?.map((tool) => tool.name) ?? []).not.toContain('create_tool');
    // The refused source stays inspectable as one rejected version; the same source again is refused with the original reason.
    expect((await tw.registry.history('total_fares')).map((version) => version.status)).toEqual(['rejected']);
    expect(calls[2]?.request.messages.at(-1)?.content).toMatch(/rejected before/);
  });

  it('queues a network tool for a person, who approves it through the same promotion path', async () => {
    const origin = 'http://127.0.0.1:9';
    const networkTool = {
      ...TOTAL_FARES,
      name: 'fare_total_remote',
      capabilities: [{ kind: 'fetch', origins: [origin] }],
    };
    const { tw } = await start('scripted', [{ calls: [{ name: 'create_tool', input: networkTool as never }] }, { text: 'Waiting for approval.' }], {
      network: { allow: [origin] },
    });
    const result = await tw.run('Total these fares', { input: FARES });
    expect(result.createdTools).toEqual([]);
    expect(await tw.registry.active('fare_total_remote')).toBeUndefined();
    const [queued] = await tw.policy.approvals.list({ status: 'proposed' });
    expect(queued?.change).toMatchObject({ kind: 'create-tool', name: 'fare_total_remote' });

    const applied = await tw.approve(queued?.id ?? '', { by: 'alice', note: 'reviewed the diff' });
    expect(applied.status, applied.summary).toBe('applied');
    expect(applied.status === 'applied' && applied.version).toMatchObject({ name: 'fare_total_remote', version: 1, status: 'active' });
    expect((await tw.policy.approvals.get(queued?.id ?? ''))?.status).toBe('applied');
    // Applying it again changes nothing.
    const again = await tw.approve(queued?.id ?? '', { by: 'alice' });
    expect(again.status).toBe('applied');
    expect((await tw.registry.changeLog('fare_total_remote')).filter((entry) => entry.type === 'promoted')).toHaveLength(1);
  });

  it('answers with structured output and no tools for the static baseline', async () => {
    const { tw, model } = await start('scripted', [{ text: '{"total": 690.09}', usage: [90, 8] }]);
    const result = await tw.run('Total these fares', { input: FARES, tools: 'none', schema: z.object({ total: z.number() }) });
    expect(result.output).toEqual({ total: 690.09 });
    expect(result.tokens).toEqual({ input: 90, output: 8 });
    expect((model.model as ScriptedModel).calls[0]?.request.tools).toBeUndefined();
    expect((model.model as ScriptedModel).calls[0]?.request.responseSchema?.name).toBe('answer');
  });

  it('puts immutable sections first in the prompt, verbatim, and verifies their stored copies at load', async () => {
    const immutable = [{ name: 'house-rules', text: 'Never send personal data to any service.' }];
    const { tw, model } = await start('scripted', [{ text: 'ok' }], { instructions: { immutable } });
    expect(tw.sections).toMatchObject({ ok: true });
    await tw.run('Say ok');
    const system = (model.model as ScriptedModel).calls[0]?.request.messages[0];
    expect(system?.role).toBe('system');
    expect(system?.content.startsWith('Never send personal data to any service.')).toBe(true);
  });
});
