import type { Memory as CoreMemory } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Memory } from './index.js';
import * as entry from './index.js';

describe('@toolwright/memory (interface only)', () => {
  it('re-exports the Memory interface of @toolwright/core', () => {
    expectTypeOf<Memory>().toEqualTypeOf<CoreMemory>();
  });

  it('exports no runtime values until the implementation lands', () => {
    expect(Object.keys(entry)).toEqual([]);
  });
});
