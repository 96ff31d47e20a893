import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.js';
import { abVerdict, type StopRule } from './ab-test.js';
import { addCounts, type ArmCounts, countsOf, EMPTY_COUNTS } from './arm-counts.js';
import { thompsonChoice, thompsonRegretBound, ucb1Choice, ucb1RegretBound } from './bandit.js';
import { canaryVerdict } from './canary-test.js';
import { mixtureConfidenceInterval, mixtureLikelihoodRatio } from './confidence-sequence.js';
import { normalQuantile } from './normal.js';

/** Counts of `n` Bernoulli(p) calls with latencies around `latencyMs`, drawn from `random`. */
function simulate(n: number, p: number, random: () => number, latencyMs = 100, base: ArmCounts = EMPTY_COUNTS): ArmCounts {
  let counts = base;
  for (let index = 0; index < n; index++) counts = addCounts(counts, countsOf({ success: random() < p, latencyMs: latencyMs * (0.5 + random()) }));
  return counts;
}

describe('normal-mixture confidence sequence', () => {
  it('inverts the mixture likelihood ratio: the interval edge is where Λ = 1/α', () => {
    const interval = mixtureConfidenceInterval(0.03, 0.0004, { alpha: 0.05, mixingVariance: 0.0025 });
    expect(mixtureLikelihoodRatio(0.03, 0.0004, 0.0025, interval.upper)).toBeCloseTo(20, 6);
    expect(mixtureLikelihoodRatio(0.03, 0.0004, 0.0025, interval.lower)).toBeCloseTo(20, 6);
    expect(interval.lower).toBeLessThan(0.03);
    expect(interval.upper - 0.03).toBeCloseTo(0.03 - interval.lower, 12);
  });

  it('is the whole line without data', () => {
    expect(mixtureConfidenceInterval(0, Infinity, { alpha: 0.05, mixingVariance: 1 })).toMatchObject({ lower: -Infinity, upper: Infinity });
  });

  it('computes normal quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 10);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });
});

describe('canary test', () => {
  it('stays undecided before the minimum number of calls', () => {
    const random = seededRandom(1);
    expect(canaryVerdict(simulate(20, 0.2, random), simulate(20, 0.99, random)).decision).toBe('undecided');
  });

  it('calls a clearly worse success rate worse, and says why', () => {
    const random = seededRandom(2);
    const verdict = canaryVerdict(simulate(400, 0.7, random), simulate(2000, 0.95, random));
    expect(verdict.decision).toBe('worse');
    expect(verdict.reason).toMatch(/success rate is below/);
    expect(verdict.evidence.successDifference.upper).toBeLessThan(0);
  });

  it('calls a much slower candidate worse', () => {
    const random = seededRandom(3);
    const verdict = canaryVerdict(simulate(400, 0.95, random, 300), simulate(2000, 0.95, random, 100));
    expect(verdict.decision).toBe('worse');
    expect(verdict.reason).toMatch(/slower than tolerated/);
  });

  it('calls an equal candidate not worse once there is enough evidence', () => {
    const random = seededRandom(4);
    expect(canaryVerdict(simulate(3000, 0.95, random), simulate(6000, 0.95, random)).decision).toBe('not-worse');
  });

  it('rarely raises a false alarm on an equal canary looked at after every 10 calls (A/A, 400 runs)', () => {
    const random = seededRandom(5);
    const runs = 400;
    let alarms = 0;
    for (let run = 0; run < runs; run++) {
      let candidate = EMPTY_COUNTS;
      let baseline = EMPTY_COUNTS;
      for (let look = 0; look < 100; look++) {
        candidate = simulate(10, 0.9, random, 100, candidate);
        baseline = simulate(30, 0.9, random, 100, baseline);
        if (canaryVerdict(candidate, baseline).decision === 'worse') {
          alarms++;
          break;
        }
      }
    }
    expect(alarms / runs).toBeLessThanOrEqual(0.05);
  });
});

describe('A/B stop rules on 1,000 A/A experiments', () => {
  const runAa = (rule: StopRule, seed: number, look: number, maxCalls: number) => {
    const random = seededRandom(seed);
    const experiments = 1000;
    let falseAlarms = 0;
    let endedWithoutWinner = 0;
    for (let experiment = 0; experiment < experiments; experiment++) {
      let a = EMPTY_COUNTS;
      let b = EMPTY_COUNTS;
      for (let calls = look; calls <= maxCalls; calls += look) {
        a = simulate(look, 0.3, random, 100, a);
        b = simulate(look, 0.3, random, 100, b);
        const verdict = abVerdict(
          [
            { name: 'v1', counts: a },
            { name: 'v2', counts: b },
          ],
          rule,
        );
        if (verdict.status === 'running') continue;
        if (verdict.status === 'winner' || verdict.why === 'control-better') falseAlarms++;
        else endedWithoutWinner++;
        break;
      }
    }
    return { rate: falseAlarms / experiments, endedWithoutWinner };
  };

  it('sequential: peeking every 20 calls per arm, the false-alarm rate stays below alpha', () => {
    const alpha = 0.05;
    const { rate, endedWithoutWinner } = runAa({ kind: 'sequential', alpha, minCallsPerArm: 50, maxCallsPerArm: 1000, mixingSd: 0.05 }, 11, 20, 1000);
    expect(rate).toBeLessThanOrEqual(alpha);
    expect(endedWithoutWinner).toBeGreaterThanOrEqual(1000 * (1 - alpha));
  });

  it('fixed sample size: the false-alarm rate stays within alpha plus three binomial standard errors', () => {
    const alpha = 0.05;
    const { rate } = runAa({ kind: 'fixed', alpha, callsPerArm: 500 }, 12, 100, 500);
    // The fixed test's false-alarm rate is alpha exactly, so its observed rate over 1,000
    // experiments scatters around alpha with standard error sqrt(alpha (1 - alpha) / 1000).
    expect(rate).toBeLessThanOrEqual(alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / 1000));
  });

  it('finds a real difference and names the better arm', () => {
    const random = seededRandom(13);
    let a = EMPTY_COUNTS;
    let b = EMPTY_COUNTS;
    let verdict = abVerdict(
      [
        { name: 'v1', counts: a },
        { name: 'v2', counts: b },
      ],
      { kind: 'sequential', alpha: 0.05, minCallsPerArm: 50, maxCallsPerArm: 20_000, mixingSd: 0.05 },
    );
    while (verdict.status === 'running') {
      a = simulate(50, 0.5, random, 100, a);
      b = simulate(50, 0.65, random, 100, b);
      verdict = abVerdict(
        [
          { name: 'v1', counts: a },
          { name: 'v2', counts: b },
        ],
        { kind: 'sequential', alpha: 0.05, minCallsPerArm: 50, maxCallsPerArm: 20_000, mixingSd: 0.05 },
      );
    }
    expect(verdict).toMatchObject({ status: 'winner', winner: 'v2' });
  });
});

describe('bandits over 1,000 pulls on known Bernoulli arms', () => {
  const means = [0.5, 0.6, 0.75];
  const best = Math.max(...means);
  const meanRegret = (choose: (arms: { successes: number; failures: number }[], random: () => number) => number, seed: number) => {
    const random = seededRandom(seed);
    const runs = 50;
    let total = 0;
    for (let run = 0; run < runs; run++) {
      const arms = means.map(() => ({ successes: 0, failures: 0 }));
      for (let pull = 0; pull < 1000; pull++) {
        const index = choose(arms, random);
        const arm = arms[index] as { successes: number; failures: number };
        if (random() < (means[index] as number)) arm.successes++;
        else arm.failures++;
        total += best - (means[index] as number);
      }
    }
    return total / runs;
  };

  it('UCB1 stays within the Auer et al. (2002) bound', () => {
    const regret = meanRegret((arms) => ucb1Choice(arms), 21);
    expect(regret).toBeLessThanOrEqual(ucb1RegretBound(means, 1000));
    // and far below uniform play (1,000 × the mean gap)
    expect(regret).toBeLessThan(0.5 * 1000 * (best - (means[0]! + means[1]! + means[2]!) / 3));
  });

  it('Thompson sampling stays within 2 · Σ Δᵢ ln n / KL(μᵢ ‖ μ*) + 10 Σ Δᵢ', () => {
    const regret = meanRegret((arms, random) => thompsonChoice(arms, random), 22);
    expect(regret).toBeLessThanOrEqual(thompsonRegretBound(means, 1000));
  });
});
