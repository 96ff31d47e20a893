import { logGamma } from './log-gamma.js';

const MAX_ITERATIONS = 10_000;
const EPSILON = 1e-15;
const TINY = 1e-300;

/**
 * The continued fraction of the incomplete beta function, evaluated with the modified Lentz
 * method (Numerical Recipes, `betacf`). Converges fast for `x < (a + 1) / (a + b + 2)`.
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const sumAB = a + b;
  const aPlusOne = a + 1;
  const aMinusOne = a - 1;
  let c = 1;
  let d = 1 - (sumAB * x) / aPlusOne;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let fraction = d;
  for (let m = 1; m <= MAX_ITERATIONS; m += 1) {
    const twoM = 2 * m;
    // Even step.
    let numerator = (m * (b - m) * x) / ((aMinusOne + twoM) * (a + twoM));
    d = 1 + numerator * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + numerator / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    fraction *= d * c;
    // Odd step.
    numerator = (-(a + m) * (sumAB + m) * x) / ((a + twoM) * (aPlusOne + twoM));
    d = 1 + numerator * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + numerator / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return fraction;
}

/**
 * The regularized incomplete beta function `I_x(a, b)`, for `a, b > 0` and `0 <= x <= 1`.
 * It gives the tails of Student's t distribution (see `studentTUpperTail`).
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // Use the continued fraction on whichever side converges, by the symmetry I_x(a,b) = 1 - I_{1-x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}
