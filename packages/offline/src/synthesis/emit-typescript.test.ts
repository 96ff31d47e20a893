import type { JsonValue } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { loadTypeScriptTool, typeCheck } from '../test-support/run-typescript.js';
import { FARE_PROGRAM_ASTS, FARE_PROGRAMS, randomFareInput, seededRandom } from '../test-support/programs.js';
import { emitTypeScript } from './emit-typescript.js';
import { parseProgram, printProgram } from './program.js';
import { evaluateProgram, EvaluationError, jsonEqual } from './semantics.js';
import { inferType, type ValueType } from './value-type.js';

const random = seededRandom(20_251_123);
const inputs = Array.from({ length: 60 }, () => randomFareInput(random));
const inputType = inferType(inputs) as ValueType;

const emit = (text: string, type: ValueType = inputType): string =>
  emitTypeScript(parseProgram(text), { name: 'test_tool', inputType: type, summary: 'Summary.', provenance: 'Provenance.' });

function oddNames(): string {
  const type = inferType([{ 'fare list': [{ 'unit price': 1, default: 'x' }], sumOf: 2, count: 3 }]) as ValueType;
  return emitTypeScript(parseProgram('difference(sum(pluck(get($, "fare list"), "unit price")), get($, "count"))'), {
    name: 'odd_names',
    inputType: type,
    summary: 'A */ comment.',
    provenance: 'p',
  });
}

type Outcome = { ok: true; value: JsonValue } | { ok: false };
const outcome = (compute: () => JsonValue): Outcome => {
  try {
    return { ok: true, value: compute() };
  } catch {
    return { ok: false };
  }
};

describe('emitted TypeScript', () => {
  it('computes what the interpreter computes, for every operation, on generated inputs (and fails where it fails)', () => {
    expect(inputs.some((input) => input.fares.length === 0)).toBe(true);
    for (const [index, program] of FARE_PROGRAM_ASTS.entries()) {
      const tool = loadTypeScriptTool(emit(FARE_PROGRAMS[index] as string));
      for (const input of inputs) {
        const expected = outcome(() => evaluateProgram(program, input));
        const actual = outcome(() => tool(input));
        expect(actual.ok, `${printProgram(program)} on ${JSON.stringify(input)}`).toBe(expected.ok);
        if (actual.ok && expected.ok) expect(jsonEqual(actual.value, expected.value, { absolute: 0 }), printProgram(program)).toBe(true);
      }
    }
  });

  it('type-checks as strict TypeScript, with a typed argument and result', () => {
    const broken = 'export default function broken(input: { a: number }): string { return input.a; }';
    const sources = [...FARE_PROGRAMS.map((text) => emit(text)), oddNames(), broken];
    const diagnostics = typeCheck(sources);
    // Only the deliberately broken module (the last one) has a diagnostic: the check does catch errors.
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatch(new RegExp(`^/tool-${sources.length - 1}\\.ts:1 Type 'number' is not assignable to type 'string'`));
  }, 60_000);

  it('reads as named steps, with interfaces for the argument and only the helpers it uses', () => {
    const source = emit('count(filter_by(get($, "fares"), "price", ">", param("threshold")))');
    expect(source).toContain('interface Fare {\n  from: string;\n  to: string;\n  price: number;\n  carrier: string;\n  seats: number;\n}');
    expect(source).toContain('interface Input {\n  fares: Fare[];\n  threshold: number;\n  n: number;\n  code: string;\n}');
    expect(source).toContain('export default function testTool(input: Input): number {');
    expect(source).toContain('  const fares = input.fares;\n  const matching = fares.filter((fare) => fare.price > input.threshold);\n  const count = matching.length;\n  return count;');
    expect(source).toContain(' * Program: count(filter_by(get($, "fares"), "price", ">", param("threshold")))');
    expect(source).not.toContain('function sumOf');
    expect(emit('sum(pluck(get($, "fares"), "price"))')).toContain('function sumOf(values: number[]): number');
  });

  it('quotes field names that are not identifiers and avoids clashing names (type-checked above)', () => {
    const source = oddNames();
    expect(source).toContain('input["fare list"]');
    expect(source).toContain('"unit price": number;');
    expect(source).toContain('A * / comment.');
    const tool = loadTypeScriptTool(source);
    expect(tool({ 'fare list': [{ 'unit price': 5, default: 'x' }, { 'unit price': 6, default: 'y' }], sumOf: 2, count: 3 })).toBe(8);
  });

  it('returns the argument itself for the identity program', () => {
    const tool = loadTypeScriptTool(emit('$'));
    const input = inputs[1] as JsonValue;
    expect(tool(input)).toEqual(input);
  });

  it('agrees with the interpreter on the errors the interpreter raises for empty lists', () => {
    const tool = loadTypeScriptTool(emit('mean(pluck(get($, "fares"), "price"))'));
    const empty = { fares: [], threshold: 1, n: 1, code: 'x' };
    expect(() => evaluateProgram(parseProgram('mean(pluck(get($, "fares"), "price"))'), empty)).toThrow(EvaluationError);
    expect(() => tool(empty)).toThrow('mean of an empty list');
  });
});
