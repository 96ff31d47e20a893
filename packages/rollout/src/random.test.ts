import { describe, expect, it } from 'vitest';
import { unitHash } from './call-key.js';
import { sampleBeta, sampleGamma, seededRandom } from './random.js';

describe('seeded randomness', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('draws Gamma and Beta variables with the right means', () => {
    const random = seededRandom(7);
    const n = 20_000;
    let gamma = 0;
    let smallGamma = 0;
    let beta = 0;
    for (let index = 0; index < n; index++) {
      gamma += sampleGamma(3, random);
      smallGamma += sampleGamma(0.5, random);
      beta += sampleBeta(2, 6, random);
    }
    expect(gamma / n).toBeCloseTo(3, 1);
    expect(smallGamma / n).toBeCloseTo(0.5, 1);
    expect(beta / n).toBeCloseTo(0.25, 2);
  });
});

describe('call-key hash', () => {
  it('maps a key to the same point in [0, 1) every time, and spreads keys evenly', () => {
    expect(unitHash('task-1')).toBe(unitHash('task-1'));
    expect(unitHash('task-1')).not.toBe(unitHash('task-2'));
    const buckets = new Array(10).fill(0);
    for (let index = 0; index < 10_000; index++) buckets[Math.floor(unitHash(`user-${index}`) * 10)]++;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
