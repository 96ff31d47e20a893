import { describe, expect, it } from 'vitest';
import { RewriterError } from '../errors.js';
import type { Rewriter } from '../rewriter.js';
import { createImprovementCycle } from './improvement-cycle.js';
import { fixedEvaluator, fixedRewriter, inMemoryParts, TOTAL_FARES } from './test-support/parts.js';
import type { GateAnswer } from './test-support/scripted-gate.js';
import { summaryOf } from './test-support/versions.js';

const FIXED = 'export default ({ fares }) => (Array.isArray(fares) ? fares.reduce((sum, fare) => sum + fare, 0) : 0);';

function setUp(options: { answers?: GateAnswer[]; status?: 'healthy' | 'degraded' | 'insufficient-data'; rewriter?: Rewriter; pinned?: boolean } = {}) {
  const parts = inMemoryParts((_change, _evidence, index) => options.answers?.[index] ?? 'applied');
  const active = parts.install(TOTAL_FARES, { pinned: options.pinned ?? false });
  parts.memory.summaries = (tool) => summaryOf(tool, 10, 6);
  const rewriter = options.rewriter ?? fixedRewriter([FIXED, `${FIXED} // second`]);
  const cycle = createImprovementCycle({ ...parts, evaluator: fixedEvaluator(options.status ?? 'degraded'), rewriter });
  return { ...parts, active, rewriter, cycle };
}

describe('the improvement cycle', () => {
  it('proposes each candidate to the gate as a rewrite, until one is applied', async () => {
    const { cycle, gate, memory, registry } = setUp({ answers: ['failed-regression', 'applied'] });
    const report = await cycle({ lastN: 50 });

    expect(report.tools).toEqual([expect.objectContaining({ tool: 'total_fares', version: 1, outcome: 'promoted', newVersion: 3, reasons: ['candidate 2'] })]);
    expect(gate.proposals.map(({ change }) => change)).toEqual([
      expect.objectContaining({ kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion: 1, source: FIXED }),
      expect.objectContaining({ kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion: 1, source: `${FIXED} // second` }),
    ]);
    expect(gate.proposals[1]?.evidence).toMatchObject({ author: { kind: 'transform', id: 'transform-2' }, reason: 'candidate 2', diagnosis: { tool: 'total_fares', needsRewrite: true } });
    expect((await registry.active('total_fares'))?.version).toBe(3);
    expect(memory.flushes).toBe(1);
    expect(memory.audits.map((entry) => entry.action)).toEqual(['improve.diagnose']);
  });

  it('stops at a queued candidate, and reports every refusal when none gets through', async () => {
    const queued = setUp({ answers: ['queued', 'applied'] });
    const [waiting] = (await queued.cycle({ lastN: 50 })).tools;
    expect(waiting).toMatchObject({ outcome: 'queued', approvalId: 'approval-1', newVersion: 2 });
    expect(queued.gate.proposals).toHaveLength(1);

    const refused = setUp({ answers: ['denied', 'failed'] });
    const [rejected] = (await refused.cycle({ lastN: 50 })).tools;
    expect(rejected).toMatchObject({
      outcome: 'rejected',
      reasons: ['denied by policy: kill-switch: the kill switch is on', 'failed at the gate: SANDBOX_STATIC_GATE: eval is not allowed'],
    });
  });

  it('leaves pinned, healthy and unjudged tools alone', async () => {
    for (const [options, outcome] of [
      [{ pinned: true }, 'pinned'],
      [{ status: 'healthy' }, 'healthy'],
      [{ status: 'insufficient-data' }, 'insufficient-data'],
    ] as const) {
      const { cycle, gate } = setUp(options);
      expect((await cycle({ lastN: 50 })).tools[0]?.outcome).toBe(outcome);
      expect(gate.proposals).toEqual([]);
    }
  });

  it('audits a tool the rewriter has no candidate for', async () => {
    const { cycle, memory } = setUp({
      rewriter: {
        async propose() {
          throw new RewriterError('REWRITER_NO_CANDIDATE', 'no transform applies');
        },
      },
    });
    const [tool] = (await cycle({ tool: 'total_fares', lastN: 50 })).tools;
    expect(tool).toMatchObject({ outcome: 'no-candidate', reasons: ['the rewriter proposed no candidate: no transform applies'] });
    expect(memory.audits.map((entry) => entry.action)).toEqual(['improve.diagnose', 'improve.no-candidate']);
  });

  it('records a failing tool as failed and goes on with the others', async () => {
    const { cycle, memory, install } = setUp({
      rewriter: {
        async propose(request) {
          if (request.artifact.name === 'total_fares') throw new Error('the rewriter exploded');
          return [];
        },
      },
    });
    install({ ...TOTAL_FARES, name: 'other_total' });
    const report = await cycle({ lastN: 50 });
    expect(report.tools.map((tool) => [tool.tool, tool.outcome])).toEqual([
      ['total_fares', 'failed'],
      ['other_total', 'no-candidate'],
    ]);
    expect(memory.audits.find((entry) => entry.action === 'improve.failed')).toMatchObject({ artifact: 'total_fares', reason: 'Error: the rewriter exploded', actor: { kind: 'system', id: 'improvement-cycle' } });
  });
});
