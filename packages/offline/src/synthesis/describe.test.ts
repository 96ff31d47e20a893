import { toolNameSchema } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { FARE_PROGRAMS } from '../test-support/programs.js';
import { describeProgram, freeName, programInDescription, programLine, programName, roundsLikeThisVersion } from './describe.js';
import { parseProgram } from './program.js';

const name = (text: string): string => programName(parseProgram(text));

describe('tool names', () => {
  it('are snake_case words derived from the program', () => {
    expect(name('sum(pluck(get($, "fares"), "price"))')).toBe('sum_fares_price');
    expect(name('count(filter_by(get($, "fares"), "price", ">", 300))')).toBe('count_fares_where_price_over_300');
    expect(name('sum(take(sort(pluck(get($, "fares"), "price"), "asc"), 2))')).toBe('sum_smallest_2_fares_price');
    expect(name('take(sort_by(get($, "fares"), "price", "desc"), 3)')).toBe('highest_3_fares_by_price');
    expect(name('filter(get($, "values"), "<", -2.5)')).toBe('values_under_minus_2_5');
    expect(name('group_by(get($, "fares"), "carrier", "sum", "price")')).toBe('sum_fares_price_by_carrier');
    expect(name('count(filter_by(get($, "fares"), "carrier", "==", "Air Lingus"))')).toBe('count_fares_where_carrier_is_air_lingus');
    expect(name('$')).toBe('identity');
    expect(name('get($, "2024 total")')).toBe('tool_2024_total');
  });

  it('are valid tool names for every operation, and long ones are cut and made unique by a hash', () => {
    for (const text of FARE_PROGRAMS) expect(toolNameSchema.safeParse(name(text)).success, text).toBe(true);
    const long = 'count(filter_by(filter_by(filter_by(get($, "departures_from_heathrow"), "carrier", "==", "British Airways"), "price", ">", 1000), "destination", "==", "San Francisco"))';
    const other = long.replace('1000', '2000');
    expect(name(long)).toMatch(/^[a-z][a-z0-9_]*_[0-9a-f]{8}$/);
    expect(name(long).length).toBeLessThanOrEqual(64);
    expect(name(long)).not.toBe(name(other));
  });

  it('avoid names already taken', () => {
    expect(freeName('sum_values', new Set())).toBe('sum_values');
    expect(freeName('sum_values', new Set(['sum_values', 'sum_values_2']))).toBe('sum_values_3');
    expect(freeName('x'.repeat(64), new Set(['x'.repeat(64)]))).toBe(`${'x'.repeat(62)}_2`);
  });
});

describe('descriptions', () => {
  it('say what the program computes in a sentence', () => {
    expect(describeProgram(parseProgram('count(filter_by(get($, "fares"), "price", ">", param("threshold")))'))).toBe(
      'The number of "fares" whose "price" is greater than the argument\'s "threshold".',
    );
    for (const text of FARE_PROGRAMS) expect(describeProgram(parseProgram(text))).toMatch(/^[A-Z"].*\.$/);
  });

  it('record the program on a line that is read back', () => {
    const program = parseProgram('sum(pluck(get($, "fares"), "price"))');
    const description = `The sum of the fares.\n${programLine(program)}`;
    expect(programInDescription(description)).toBe('sum(pluck(get($, "fares"), "price"))');
    expect(programInDescription('Adds up fares.')).toBeUndefined();
    // A rounding program carries the marker of this version's rounding; one written before does not.
    const rounded = parseProgram('round(mean(pluck(get($, "fares"), "price")), 2)');
    const current = `The mean.\n${programLine(rounded)}`;
    expect(programInDescription(current)).toBe('round(mean(pluck(get($, "fares"), "price")), 2)');
    expect(roundsLikeThisVersion(rounded, current)).toBe(true);
    expect(roundsLikeThisVersion(rounded, 'The mean.\n[offline program] round(mean(pluck(get($, "fares"), "price")), 2)')).toBe(false);
    expect(roundsLikeThisVersion(program, description)).toBe(true);
  });
});
