import type { Policy as CorePolicy } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Policy } from './index.js';
import * as entry from './index.js';

describe('@toolwright/safety-policy (interface only)', () => {
  it('re-exports the Policy interface of @toolwright/core', () => {
    expectTypeOf<Policy>().toEqualTypeOf<CorePolicy>();
  });

  it('exports no runtime values until the implementation lands', () => {
    expect(Object.keys(entry)).toEqual([]);
  });
});
