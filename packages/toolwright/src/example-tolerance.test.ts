import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptedModel } from '@toolwright/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createToolwright, type Toolwright } from './create-toolwright.js';

// Issue 21: examples checked "to the cent" (a tolerance option, absolute and relative) by the
// agent's check and kept with the tool's cases. Real SQLite, sandbox, gate, regression runner.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-tolerance-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let databases = 0;
const open: Toolwright[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((toolwright) => toolwright.close()));
});

/** The mean, not rounded: 440.595 for [440.59, 440.6], half a cent from the example's 440.59. */
const MEAN = {
  name: 'mean_price',
  description: 'The mean of the prices.',
  inputSchema: { type: 'object', properties: { prices: { type: 'array', items: { type: 'number' } } }, required: ['prices'] },
  source: 'export default ({ prices }: { prices: number[] }): number => prices.reduce((a, b) => a + b, 0) / prices.length;',
};
const EXAMPLES = [
  { input: { prices: [440.59, 440.6] }, output: 440.59 },
  { input: { prices: [1, 2] }, output: 1.5 },
];

async function start(turns: ConstructorParameters<typeof ScriptedModel>[0]['script'], options: Parameters<typeof createToolwright>[0] = {}) {
  const model = new ScriptedModel({ script: turns });
  const tw = await createToolwright({ database: `sqlite:${join(directory, `db-${++databases}.sqlite`)}`, model, improve: false, reflect: false, shadow: false, ...options });
  open.push(tw);
  return tw;
}

describe('a tolerance for examples', () => {
  it('accepts a tool within half a cent of its examples when the run says "to the cent", and keeps the tolerance with its cases', async () => {
    const tw = await start([{ toolCalls: [{ name: 'create_tool', input: MEAN }] }, { toolCalls: [{ name: 'mean_price', input: { prices: [2, 4] } }] }, { text: '3' }]);
    const result = await tw.run('Mean price', { input: { prices: [2, 4] }, examples: EXAMPLES, tolerance: { absolute: 0.005 } });
    expect(result.createdTools).toEqual(['mean_price']);
    expect(result.output).toBe(3);
    expect((await tw.registry.active('mean_price'))?.spec?.tolerance).toEqual({ absolute: 0.005 });
    const cases = await tw.regression.cases('mean_price');
    expect(cases.map((entry) => entry.expect)).toEqual(expect.arrayContaining([{ output: 440.59, tolerance: 0.005 }]));
  });

  it('refuses the same tool at the default tolerance (1e-9), naming the example it misses', async () => {
    const refusals: string[] = [];
    const tw = await start([{ toolCalls: [{ name: 'create_tool', input: MEAN }] }, { text: 'I cannot' }], { onEvent: (event) => (event.type === 'tool-refused' ? refusals.push(event.reason) : undefined) });
    const result = await tw.run('Mean price', { input: { prices: [2, 4] }, examples: EXAMPLES });
    expect(result.createdTools).toEqual([]);
    expect(refusals[0]).toContain('expected 440.59, got 440.595');
    expect(await tw.registry.active('mean_price')).toBeUndefined();
  });

  it('takes a relative tolerance from the agent options', async () => {
    const tw = await start([{ toolCalls: [{ name: 'create_tool', input: MEAN }] }, { text: 'done' }], { exampleTolerance: { absolute: 0, relative: 1e-4 } });
    const result = await tw.run('Mean price', { input: { prices: [2, 4] }, examples: EXAMPLES });
    expect(result.createdTools).toEqual(['mean_price']);
  });

  it('refuses a malformed tolerance', async () => {
    const tw = await start([]);
    await expect(tw.run('Mean price', { input: { prices: [2] }, examples: EXAMPLES, tolerance: { absolute: -1 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
