import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentEvent } from '@toolwright/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createToolwright, type Toolwright, type ToolwrightOptions } from './create-toolwright.js';

// Issue 21: asking the same question again without examples is served by the tool learned for
// that very task (same task text and input shape), and the result says so. The offline model
// (the default), real SQLite, sandbox and gate.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-known-task-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let databases = 0;
const open: Toolwright[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((toolwright) => toolwright.close()));
});

async function start(options: ToolwrightOptions = {}) {
  const events: AgentEvent[] = [];
  const tw = await createToolwright({ database: `sqlite:${join(directory, `db-${++databases}.sqlite`)}`, improve: false, reflect: false, onEvent: (event) => events.push(event), ...options });
  open.push(tw);
  return { tw, events };
}

const EXAMPLES = [
  { input: { fares: [1, 2] }, output: 3 },
  { input: { fares: [10, 20.5] }, output: 30.5 },
  { input: { fares: [0.1, 0.2, 0.3] }, output: 0.6 },
];

describe('a task without examples that an active tool was written for', () => {
  it('is served by that tool, with no model turn, and says so', async () => {
    const { tw, events } = await start();
    const first = await tw.run('Total these fares', { input: { fares: [4, 5] }, examples: EXAMPLES });
    expect(first.output).toBe(9);
    expect(first.createdTools).toHaveLength(1);
    const tool = first.createdTools[0] as string;

    const again = await tw.run('Total  these fares ', { input: { fares: [229.92, 360.67, 99.5] } });
    expect(again.output).toBe(690.09);
    expect(again.servedBy).toEqual({ tool, version: 1, reason: expect.stringContaining('the tool was written for this same task (same task text and input shape)') });
    expect(again.steps).toEqual([]);
    expect(again.tokens).toEqual({ input: 0, output: 0 });
    expect(again.verification).toMatchObject({ status: 'verified', tool });
    expect(again.toolCalls).toEqual([expect.objectContaining({ name: tool, ok: true, callId: expect.stringMatching(new RegExp(`^${tool}\\.v1\\.`)) })]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'task-matched', name: tool, version: 1 }));
  });

  it('wraps the input as the tool takes it when the examples were lists', async () => {
    const { tw } = await start();
    const first = await tw.run('Add up the numbers', { input: [1, 2, 3], examples: [{ input: [1, 1], output: 2 }, { input: [2, 3, 4], output: 9 }] });
    expect(first.output).toBe(6);
    const again = await tw.run('Add up the numbers', { input: [10, 20] });
    expect(again.output).toBe(30);
    expect(again.servedBy?.tool).toBe(first.createdTools[0]);
  });

  it('is not served when the match is not certain: another task text, another input shape, or turned off', async () => {
    const { tw } = await start();
    await tw.run('Total these fares', { input: { fares: [4, 5] }, examples: EXAMPLES });
    // The offline model then says it has no examples: the refusal the issue reported, where no tool matches.
    const other = await tw.run('Total those fares', { input: { fares: [4, 5] } });
    expect(other.servedBy).toBeUndefined();
    expect(other.text).toContain('no examples');
    const shape = await tw.run('Total these fares', { input: { prices: [4, 5] } });
    expect(shape.servedBy).toBeUndefined();
    expect(shape.text).toContain('no examples');

    const off = await start({ serveKnownTasks: false });
    await off.tw.run('Total these fares', { input: { fares: [4, 5] }, examples: EXAMPLES });
    expect((await off.tw.run('Total these fares', { input: { fares: [1] } })).servedBy).toBeUndefined();
  });
});
