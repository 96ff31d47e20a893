import { toolSpecSchema } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { roughlyMatches } from './json-schema.js';
import { synthesizeTool } from './synthesize-tool.js';
import { loadTypeScriptTool } from './test-support/run-typescript.js';
import { cheapestTwo, fareExamples, TASK_FARES, total } from './test-support/fares.js';

/** Tests never depend on the machine's speed: the search's time budget is out of reach. */
const SLOW_MACHINE_SAFE = { timeBudgetMs: 600_000 };

describe('synthesizeTool', () => {
  it('returns a complete tool spec: name, description with the program, inferred input schema, TypeScript, the examples', () => {
    const examples = fareExamples(cheapestTwo);
    const result = synthesizeTool({ text: 'Sum the cheapest two fares', input: { fares: [...TASK_FARES] }, examples }, SLOW_MACHINE_SAFE);
    if (!result.ok) throw new Error(result.message);
    const spec = toolSpecSchema.parse(result.spec);
    expect(spec).toEqual(result.spec);
    expect(spec.name).toBe('sum_smallest_2_fares_price');
    expect(spec.description).toBe(
      'The sum of the first 2 of the "price" of each of "fares" sorted ascending. Written by the Toolwright offline model from 3 example(s): ' +
        'the smallest program of its primitives that reproduces them.\n[offline program] sum(take(sort(pluck(get($, "fares"), "price"), "asc"), 2))',
    );
    expect(spec.inputSchema).toMatchObject({ type: 'object', required: ['fares'], properties: { fares: { type: 'array', items: { type: 'object', required: ['from', 'to', 'price', 'carrier'] } } } });
    for (const example of examples) expect(roughlyMatches(spec.inputSchema, example.input)).toBe(true);
    expect(spec.examples).toEqual(examples);
    expect(spec.capabilities).toEqual([]);
    expect(result.toolInput).toEqual({ fares: TASK_FARES });
    expect(result.wrapKey).toBeUndefined();
    expect(loadTypeScriptTool(spec.source)({ fares: [...TASK_FARES] })).toBe(cheapestTwo(TASK_FARES));
  });

  it('derives the name from the program, not from the task text', () => {
    const a = synthesizeTool({ text: 'Total the fares', examples: fareExamples(total) }, SLOW_MACHINE_SAFE);
    const b = synthesizeTool({ text: 'please ADD UP every price!!', examples: fareExamples(total) }, SLOW_MACHINE_SAFE);
    expect(a.ok && a.spec.name).toBe('sum_fares_price');
    expect(b.ok && b.spec.name).toBe('sum_fares_price');
  });

  it('wraps data that is not an object, in the examples, the schema and the tool input', () => {
    const records = synthesizeTool({ text: 'How many', input: [{ a: 1 }], examples: [{ input: [{ a: 1 }, { a: 2 }], output: 2 }] }, SLOW_MACHINE_SAFE);
    expect(records).toMatchObject({ ok: true, wrapKey: 'items', toolInput: { items: [{ a: 1 }] }, program: 'count(get($, "items"))' });
    const scalar = synthesizeTool({ text: 'Length', input: 'abc', examples: [{ input: 'LHR', output: 3 }, { input: 'ab', output: 2 }] }, SLOW_MACHINE_SAFE);
    expect(scalar).toMatchObject({ ok: true, wrapKey: 'value', toolInput: { value: 'abc' }, program: 'length(get($, "value"))' });
    if (!scalar.ok) throw new Error('unreachable');
    expect(scalar.spec.examples).toEqual([{ input: { value: 'LHR' }, output: 3 }, { input: { value: 'ab' }, output: 2 }]);
    expect(scalar.spec.inputSchema).toEqual({ type: 'object', properties: { value: { type: 'string' } }, required: ['value'] });
    expect(scalar.spec.description).toContain('Its argument is { "value": <the data> }.');
  });

  it('skips names already taken', () => {
    const result = synthesizeTool({ text: 'Total', examples: fareExamples(total) }, { ...SLOW_MACHINE_SAFE, takenNames: ['sum_fares_price'] });
    expect(result.ok && result.spec.name).toBe('sum_fares_price_2');
  });

  it('validates its arguments', () => {
    expect(() => synthesizeTool({ text: 3 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => synthesizeTool({ text: '' }, { maxPrograms: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => synthesizeTool({ text: '', examples: [{ input: 1 }] } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
