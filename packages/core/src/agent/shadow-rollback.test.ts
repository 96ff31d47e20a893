import { describe, expect, it } from 'vitest';
import type { Diagnosis, Evaluator } from '../evaluator.js';
import type { AgentEvent } from './events.js';
import { createShadowRollback, type VersionState } from './shadow-rollback.js';
import { inMemoryParts, TOTAL_FARES } from './test-support/parts.js';
import { toolVersion } from './test-support/versions.js';

const WRONG_OUTPUT: Diagnosis = {
  tool: 'total_fares',
  version: 2,
  score: 0.3,
  components: [],
  status: 'degraded',
  needsRewrite: true,
  reasons: [{ kind: 'wrong-output', message: '3 of 5 calls judged wrong', observed: 0.6 }],
  sampleSize: 5,
};

function freshState(wrong: number): VersionState {
  return { served: 0, inFlightSkipped: 0, comparisons: wrong, bothOk: 0, activeRight: 0, unconfirmed: [], wrong, examples: [], rollback: 'none', nextRollbackAt: 0 };
}

describe('regression: the shadow comparison rollback could only be attempted once', () => {
  it('tries again after a fresh rollbackAfter count when an attempt was denied or not diagnosed, and never again once applied', async () => {
    const answers = ['denied', 'applied'] as const;
    const parts = inMemoryParts((_change, _evidence, index) => answers[index] ?? 'applied');
    const reference = await parts.registry.put(toolVersion(TOTAL_FARES, { version: 1, status: 'retired' }));
    const active = await parts.registry.put(toolVersion({ ...TOTAL_FARES, source: 'export default () => 0;' }, { version: 2, status: 'active', parent: 1 }));
    let diagnosis: Diagnosis = { ...WRONG_OUTPUT, needsRewrite: false, reasons: [] };
    const evaluator: Evaluator = { evaluate: () => diagnosis };
    const events: AgentEvent[] = [];
    const rollBack = createShadowRollback({ registry: parts.registry, memory: parts.memory, evaluator, gate: parts.gate, emit: (event) => events.push(event), options: { rollbackAfter: 3, lastN: 50 } });
    const state = freshState(3);
    // Not diagnosed: nothing proposed, and the state does not stick at 'proposed'.
    await rollBack(active, reference, state);
    expect([state.rollback, state.nextRollbackAt, parts.gate.proposals.length]).toEqual(['none', 6, 0]);
    diagnosis = WRONG_OUTPUT;
    state.wrong = 5;
    await rollBack(active, reference, state);
    expect(parts.gate.proposals).toHaveLength(0);
    // A fresh count: proposed, the gate denies, and it may be tried again after three more.
    state.wrong = 6;
    await rollBack(active, reference, state);
    expect([state.rollback, state.nextRollbackAt, parts.gate.proposals.length]).toEqual(['none', 9, 1]);
    state.wrong = 9;
    await rollBack(active, reference, state);
    expect([state.rollback, parts.gate.proposals.length]).toEqual(['proposed', 2]);
    state.wrong = 20;
    await rollBack(active, reference, state);
    expect(parts.gate.proposals).toHaveLength(2);
    expect(events.filter((event) => event.type === 'shadow-rollback').map((event) => (event.type === 'shadow-rollback' ? event.status : undefined))).toEqual(['not-diagnosed', 'denied', 'applied']);
  });
});
