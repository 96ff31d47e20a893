import { describe, expect, it } from 'vitest';
import { runRollout } from './scenario-c.js';

// Scenario C in-process (the printed table is checked by demo.test.ts through the built entry point).
describe('scenario C: live experiments', () => {
  it('rolls a rewrite out by canary to 100 %, rolls a worse one back on its own, and the bandit picks the exact strategy', async () => {
    const lines: string[] = [];
    const report = await runRollout((line) => lines.push(line));
    const [better, worse] = report.canaries;

    expect(better).toMatchObject({ baseline: 1, candidate: 2, status: 'completed', activeAfter: 2, shares: [0.1, 0.5, 1] });
    expect(better?.gateActions).toEqual(['widen-rollout.applied', 'widen-rollout.applied']);
    expect(better?.successRate).toEqual({ baseline: 1, candidate: 1 });

    expect(worse).toMatchObject({ baseline: 2, candidate: 3, status: 'rolled-back', activeAfter: 2 });
    expect(worse?.shares.at(-1)).toBeLessThan(1);
    expect(worse?.gateActions).toEqual(['rollback.applied']);
    expect(worse?.successRate.candidate).toBeLessThan(0.8);
    expect(worse?.reason).toMatch(/success rate is below the baseline/);

    expect(report.bandit.chosen).toBe('total_rounded');
    const [rounded, raw] = report.bandit.rows;
    expect(rounded).toMatchObject({ strategy: 'total_rounded', successRate: 1 });
    expect(rounded?.pulls).toBeGreaterThan(0.8 * 300);
    expect(raw?.successRate).toBeLessThan(1);
    expect(lines.some((line) => line.includes('rolled-back'))).toBe(true);
  });
});
