import type { Rewriter as CoreRewriter } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Rewriter } from './index.js';
import * as entry from './index.js';

describe('@toolwright/rewriter (interface only)', () => {
  it('re-exports the Rewriter interface of @toolwright/core', () => {
    expectTypeOf<Rewriter>().toEqualTypeOf<CoreRewriter>();
  });

  it('exports no runtime values until the implementation lands', () => {
    expect(Object.keys(entry)).toEqual([]);
  });
});
