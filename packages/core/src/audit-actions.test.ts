import { describe, expect, expectTypeOf, it } from 'vitest';
import { AUDIT_ACTIONS, CHANGE_KINDS, GATE_STATUSES, gateAuditAction } from './audit-actions.js';
import type { GateStatus } from './gate.js';
import type { ChangeKind } from './policy.js';

describe('the audit-action catalogue', () => {
  it('lists exactly the change kinds and gate statuses of the spec', () => {
    expectTypeOf<(typeof CHANGE_KINDS)[number]>().toEqualTypeOf<ChangeKind>();
    expectTypeOf<(typeof GATE_STATUSES)[number]>().toEqualTypeOf<GateStatus>();
  });

  it('names an action for every outcome of every change kind, each with a description', () => {
    for (const kind of CHANGE_KINDS) {
      for (const status of GATE_STATUSES) expect(AUDIT_ACTIONS[gateAuditAction(kind, status)]).toMatch(/\S/);
    }
    expect(Object.values(AUDIT_ACTIONS).every((description) => description.length > 10)).toBe(true);
  });
});
