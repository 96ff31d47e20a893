import type { Evaluator as CoreEvaluator } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Evaluator } from './index.js';
import * as entry from './index.js';

describe('@toolwright/evaluator (interface only)', () => {
  it('re-exports the Evaluator interface of @toolwright/core', () => {
    expectTypeOf<Evaluator>().toEqualTypeOf<CoreEvaluator>();
  });

  it('exports no runtime values until the implementation lands', () => {
    expect(Object.keys(entry)).toEqual([]);
  });
});
