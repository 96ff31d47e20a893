import type { Sandbox as CoreSandbox } from '@toolwright/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { IsolatedSandbox, Sandbox } from './index.js';
import * as entry from './index.js';

describe('@toolwright/sandbox public surface', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(entry).sort()).toEqual([
      'DEFAULT_ISOLATED_VM_MODULES',
      'MAX_BRACKET_DEPTH',
      'MAX_SYNTAX_DEPTH',
      'STATIC_GATE_RULES',
      'checkStaticGate',
      'createSandbox',
      'sandboxCapabilitiesSchema',
      'sandboxOptionsSchema',
    ]);
  });

  it('implements core’s Sandbox interface', () => {
    expectTypeOf<Sandbox>().toEqualTypeOf<CoreSandbox>();
    expectTypeOf<IsolatedSandbox>().toExtend<CoreSandbox>();
  });
});
