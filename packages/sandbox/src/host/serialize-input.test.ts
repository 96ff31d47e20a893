import { describe, expect, it } from 'vitest';
import { serializeInput } from './serialize-input.js';

describe('serializeInput', () => {
  it('serialises plain JSON values', () => {
    expect(serializeInput({ a: [1, 'x', null, true, { b: 2.5 }] }, 1_000)).toEqual({ ok: true, json: '{"a":[1,"x",null,true,{"b":2.5}]}' });
    expect(serializeInput(Object.assign(Object.create(null) as object, { a: 1 }), 1_000)).toEqual({ ok: true, json: '{"a":1}' });
  });

  it.each([
    ['undefined', undefined, 'the argument is undefined'],
    ['a function', { f: () => 1 }, 'argument.f is a function'],
    ['a bigint', [1n], 'argument[0] is a bigint'],
    ['NaN', { n: Number.NaN }, 'argument.n is NaN'],
    ['Infinity', [Infinity], 'argument[0] is Infinity'],
    ['a symbol', { s: Symbol('x') }, 'argument.s is a symbol'],
    ['undefined in an array', [1, undefined], 'argument[1] is undefined'],
    ['undefined in an object', { a: undefined }, 'argument.a is undefined'],
    ['a class instance', { when: new Date(0) }, 'argument.when is not a plain object'],
    ['a Map', new Map(), 'the argument is not a plain object'],
  ])('refuses %s with its path', (_label, value, message) => {
    const result = serializeInput(value, 1_000);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it('refuses a cycle', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(serializeInput(cyclic, 1_000)).toEqual({ ok: false, message: 'argument.self is cyclic' });
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(serializeInput({ a: shared, b: shared }, 1_000)).toEqual({ ok: true, json: '{"a":{"x":1},"b":{"x":1}}' });
  });

  it('measures the size in UTF-8 bytes', () => {
    expect(serializeInput('ééé', 8)).toEqual({ ok: true, json: '"ééé"' });
    const result = serializeInput('éééé', 8);
    expect(result).toEqual({ ok: false, message: 'the argument serialises to 10 bytes; the limit is 8' });
  });
});
