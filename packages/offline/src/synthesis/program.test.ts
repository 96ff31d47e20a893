import { describe, expect, it } from 'vitest';
import { FARE_PROGRAMS } from '../test-support/programs.js';
import { parseProgram, printProgram, ProgramSyntaxError, programOperations } from './program.js';

describe('program text', () => {
  it('prints every operation and reads it back unchanged', () => {
    for (const text of FARE_PROGRAMS) {
      const program = parseProgram(text);
      expect(printProgram(program)).toBe(text);
      expect(parseProgram(printProgram(program))).toEqual(program);
    }
  });

  it('reads string constants with escapes, negative and decimal numbers, booleans, and spacing', () => {
    expect(parseProgram('filter( get( $ ,"a \\"b\\"" ) , "==" , "x\\ny" )')).toEqual({
      op: 'filter',
      of: { op: 'get', of: { op: 'input' }, field: 'a "b"' },
      compare: '==',
      value: { kind: 'const', value: 'x\ny' },
    });
    expect(parseProgram('filter(get($, "v"), "<", -2.5)')).toMatchObject({ value: { kind: 'const', value: -2.5 } });
    expect(parseProgram('filter_by(get($, "v"), "ok", "==", true)')).toMatchObject({ value: { kind: 'const', value: true } });
  });

  it('refuses anything else with ProgramSyntaxError', () => {
    const bad = [
      '',
      'sum(',
      'sum($) extra',
      'explode($)',
      'sum($, $)',
      'get($, 3)',
      'sort($, "sideways")',
      'round($, 2.5)',
      'round($, 11)',
      'filter($, "~", 1)',
      'take($, get($, "n"))',
      'group_by($, "k", "count", "price")',
      'group_by($, "k", "sum")',
      '"just a string"',
      'sum("unterminated)',
      `${'sum('.repeat(70)}$${')'.repeat(70)}`,
      'x'.repeat(5000),
    ];
    for (const text of bad) expect(() => parseProgram(text), text).toThrow(ProgramSyntaxError);
  });

  it('counts operations, the argument included', () => {
    expect(programOperations(parseProgram('$'))).toBe(1);
    expect(programOperations(parseProgram('sum(pluck(get($, "fares"), "price"))'))).toBe(4);
    expect(programOperations(parseProgram('difference(max(get($, "v")), min(get($, "v")))'))).toBe(7);
  });
});
