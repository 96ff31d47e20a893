import { describe, expect, it } from 'vitest';
import { runPromptEvolution } from './scenario-d.js';

describe('scenario D: prompt evolution', () => {
  it('names the failure pattern, runs the approved offline refinement as a canary, widens it on measured benefit after a person approves, and denies a variant without the disclaimer', async () => {
    const report = await runPromptEvolution(() => undefined);
    expect(report.dominant).toMatch(/^100 % of failures \(30 of 30\) involve tool parse_date/);
    expect(report.refinement).toMatch(/parse_date/);
    expect(report.canaryOutcome).toMatch(/^widen-held/);
    expect(report.approvals).toHaveLength(2);
    const [before, baseline, candidate, after] = report.rows;
    expect(before).toMatchObject({ phase: 'before', arm: 'all traffic', version: 1, runs: 90 });
    expect(before?.successRate).toBeCloseTo(2 / 3);
    expect(baseline).toMatchObject({ phase: 'canary', arm: 'baseline', version: 1 });
    expect(candidate).toMatchObject({ phase: 'canary', arm: 'candidate', version: 2, successRate: 1 });
    expect(baseline?.successRate).toBeLessThan(0.8);
    expect(after).toMatchObject({ phase: 'after widening', arm: 'all traffic', version: 2, runs: 90, successRate: 1 });
    expect(report.protectedDenial).toMatch(/^denied: .*protected-phrases: the new text of "tool-hints" drops protected phrase "disclaimer"/);
    expect(report.promptTokens.after).toBeGreaterThan(report.promptTokens.before);
  });
});
