import { analyzeFailures, createPromptEvolver, type ChangeGate, type ToolSummary } from '@toolwright/core';
import { describe, expect, it } from 'vitest';
import { offlineModel } from './index.js';

const summary = (tool: string, count: number, errors: [string, number][]): ToolSummary =>
  ({
    tool,
    count,
    successCount: count - errors.reduce((sum, [, n]) => sum + n, 0),
    errors: errors.map(([code, n]) => ({ code, count: n })),
    recentErrors: [],
  }) as unknown as ToolSummary;

describe('the offline model answers prompt-refinement requests deterministically', () => {
  it('proposes one hint per recurring error code, the same for the same trace, through the gate it is given', async () => {
    const proposed: unknown[] = [];
    // A gate that records: this test is about the offline model's answer, the gate's review is tested in the umbrella.
    const gate: ChangeGate = {
      propose: async (change) => {
        proposed.push(change);
        return { status: 'queued', change, decision: { outcome: 'needs-approval', reasons: [] }, approvalId: 'r1', summary: 'queued' };
      },
      applyApproved: async () => {
        throw new Error('not used');
      },
      reject: async () => {
        throw new Error('not used');
      },
    };
    const registry = {
      active: async () => ({ kind: 'prompt-section', name: 'tool-hints', version: 1, source: 'Use the tools.' }) as never,
      history: async () => [],
    };
    const report = analyzeFailures([summary('parse_dates', 100, [['TOOL_INPUT_INVALID', 30], ['TOOL_TIMEOUT', 5]])]);
    const evolver = createPromptEvolver({ model: offlineModel(), registry, gate, immutable: ['safety'], evolvable: ['tool-hints'] });
    const first = await evolver.refine(report.patterns);
    const second = await evolver.refine(report.patterns);
    expect(first.status).toBe('proposed');
    if (first.status !== 'proposed' || second.status !== 'proposed') return;
    expect(first.text).toBe(second.text);
    expect(first.text).toBe(
      'Use the tools.\nBefore calling parse_dates, check the input against its input schema (30 calls failed with TOOL_INPUT_INVALID). Give parse_dates smaller inputs and split large tasks (5 calls timed out with TOOL_TIMEOUT).',
    );
    expect(proposed[0]).toMatchObject({ kind: 'change-prompt-section', origin: 'agent', name: 'tool-hints', fromVersion: 1 });
    await expect(evolver.refine(report.patterns, { section: 'safety' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
