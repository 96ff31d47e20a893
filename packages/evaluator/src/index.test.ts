import type { Evaluator as CoreEvaluator } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as entry from './index.js';
import type { ConfiguredEvaluator, Evaluator } from './index.js';

describe('@toolwright/evaluator entry point', () => {
  it('exports exactly the public runtime API', () => {
    expect(Object.keys(entry).sort()).toEqual(['DEFAULT_EVALUATOR_CONFIG', 'createEvaluator', 'evaluatorConfigSchema']);
  });

  it('re-exports core\'s Evaluator interface, which createEvaluator implements', () => {
    expectTypeOf<Evaluator>().toEqualTypeOf<CoreEvaluator>();
    expectTypeOf(entry.createEvaluator).returns.toEqualTypeOf<ConfiguredEvaluator>();
    expectTypeOf<ConfiguredEvaluator>().toMatchTypeOf<CoreEvaluator>();
  });
});
