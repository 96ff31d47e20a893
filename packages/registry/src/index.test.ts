import type { Registry as CoreRegistry } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Registry } from './index.js';
import * as entry from './index.js';

describe('@toolwright/registry (interface only)', () => {
  it('re-exports the Registry interface of @toolwright/core', () => {
    expectTypeOf<Registry>().toEqualTypeOf<CoreRegistry>();
  });

  it('exports no runtime values until the implementation lands', () => {
    expect(Object.keys(entry)).toEqual([]);
  });
});
