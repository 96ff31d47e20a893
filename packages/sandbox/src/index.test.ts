import type { Sandbox as CoreSandbox } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Sandbox } from './index.js';
import * as entry from './index.js';

describe('@toolwright/sandbox (interface only)', () => {
  it('re-exports the Sandbox interface of @toolwright/core', () => {
    expectTypeOf<Sandbox>().toEqualTypeOf<CoreSandbox>();
  });

  it('exports no runtime values until the implementation lands', () => {
    expect(Object.keys(entry)).toEqual([]);
  });
});
