import { regularizedIncompleteBeta } from './incomplete-beta.js';

/**
 * `P(T >= t)` for Student's t distribution with `degreesOfFreedom > 0` (not necessarily an
 * integer, as Welch's test needs). `t` may be infinite.
 */
export function studentTUpperTail(t: number, degreesOfFreedom: number): number {
  if (Number.isNaN(t) || !(degreesOfFreedom > 0)) return Number.NaN;
  if (t === Number.POSITIVE_INFINITY) return 0;
  if (t === Number.NEGATIVE_INFINITY) return 1;
  const halfTail = 0.5 * regularizedIncompleteBeta(degreesOfFreedom / (degreesOfFreedom + t * t), degreesOfFreedom / 2, 0.5);
  return t >= 0 ? halfTail : 1 - halfTail;
}
