import type { JsonValue } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { inferJsonSchema, roughlyMatches } from './json-schema.js';

describe('inferJsonSchema', () => {
  it('describes objects, arrays and primitives as specifically as the values allow', () => {
    expect(
      inferJsonSchema([
        { fares: [{ price: 1, carrier: 'BA' }], note: 'x' },
        { fares: [{ price: 2.5, carrier: 'FR', stops: 0 }, { price: 3, carrier: null }] },
      ]),
    ).toEqual({
      type: 'object',
      properties: {
        fares: {
          type: 'array',
          items: {
            type: 'object',
            properties: { price: { type: 'number' }, carrier: { type: ['string', 'null'] }, stops: { type: 'number' } },
            required: ['price', 'carrier'],
          },
        },
        note: { type: 'string' },
      },
      required: ['fares'],
    });
    expect(inferJsonSchema([{ values: [] }])).toEqual({ type: 'object', properties: { values: { type: 'array' } }, required: ['values'] });
    expect(inferJsonSchema([[1], { a: 1 }])).toEqual({});
    expect(inferJsonSchema([])).toEqual({});
  });

  it('accepts every value it was inferred from', () => {
    const values: JsonValue[] = [{ a: [1, 2], b: 'x' }, { a: [], c: true }];
    const schema = inferJsonSchema(values);
    for (const value of values) expect(roughlyMatches(schema, value)).toBe(true);
  });
});

describe('roughlyMatches', () => {
  it('checks type, required, properties, items, enum, const, anyOf and oneOf', () => {
    const schema = { type: 'object', properties: { values: { type: 'array', items: { type: 'integer' } } }, required: ['values'] };
    expect(roughlyMatches(schema, { values: [1, 2] })).toBe(true);
    expect(roughlyMatches(schema, { values: [1.5] })).toBe(false);
    expect(roughlyMatches(schema, { other: [1] })).toBe(false);
    expect(roughlyMatches(schema, [1])).toBe(false);
    expect(roughlyMatches({ enum: ['a', 'b'] }, 'b')).toBe(true);
    expect(roughlyMatches({ enum: ['a', 'b'] }, 'c')).toBe(false);
    expect(roughlyMatches({ const: { a: 1 } }, { a: 1 })).toBe(true);
    expect(roughlyMatches({ anyOf: [{ type: 'string' }, { type: 'number' }] }, true)).toBe(false);
    expect(roughlyMatches({ oneOf: [{ type: 'string' }, { type: 'number' }] }, 3)).toBe(true);
    expect(roughlyMatches({ type: ['string', 'null'] }, null)).toBe(true);
    expect(roughlyMatches({ minimum: 5, type: 'number' }, 1)).toBe(true);
    expect(roughlyMatches(true, 1)).toBe(true);
  });
});
