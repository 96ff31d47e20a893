import type { RegressionRunner as CoreRegressionRunner } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { RegressionRunner } from './index.js';
import * as entry from './index.js';

describe('@toolwright/regression (interface only)', () => {
  it('re-exports the RegressionRunner interface of @toolwright/core', () => {
    expectTypeOf<RegressionRunner>().toEqualTypeOf<CoreRegressionRunner>();
  });

  it('exports no runtime values until the implementation lands', () => {
    expect(Object.keys(entry)).toEqual([]);
  });
});
