import { RolloutError } from '@toolwright/core';
import { z } from 'zod';

const name = z.string().min(1).max(200);
const share = z.number().finite();

/** A canary's start, as given. */
export const canaryInputSchema = z
  .object({
    artifact: name,
    /** The version serving today (the baseline; after a promotion, the previous active version). */
    baseline: z.number().int().positive(),
    /** The promoted candidate the canary widens. */
    candidate: z.number().int().positive(),
    /** The candidate's first share. Default 0.1. */
    share: share.optional(),
    /** The shares after the first, the last 1. Default: 0.5, then 1. */
    steps: z.array(share).max(20).optional(),
    test: z
      .object({
        alpha: z.number().gt(0).lt(1).optional(),
        successMargin: z.number().min(0).max(1).optional(),
        latencyTolerance: z.number().min(0).max(100).optional(),
        minCalls: z.number().int().min(2).max(1_000_000).optional(),
        successMixingSd: z.number().positive().optional(),
        latencyMixingSd: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    id: z.string().min(1).max(64).optional(),
  })
  .strict();

/** An A/B test's start, as given. */
export const abInputSchema = z
  .object({
    artifact: name,
    /** The arms, the control (the version serving today) first. */
    arms: z.array(z.object({ name: name, version: z.number().int().positive() }).strict()).max(20),
    /** Shares by arm name, adding up to 1. Default: equal shares. */
    allocation: z.record(z.string(), share).optional(),
    stopRule: z
      .discriminatedUnion('kind', [
        z
          .object({
            kind: z.literal('sequential'),
            alpha: z.number().gt(0).lt(1).optional(),
            minCallsPerArm: z.number().int().min(2).optional(),
            maxCallsPerArm: z.number().int().min(2),
            mixingSd: z.number().positive().optional(),
          })
          .strict(),
        z.object({ kind: z.literal('fixed'), alpha: z.number().gt(0).lt(1).optional(), callsPerArm: z.number().int().min(2) }).strict(),
      ])
      .optional(),
    id: z.string().min(1).max(64).optional(),
  })
  .strict();

/** Throws `ROLLOUT_INVALID_SHARE` unless `value` is in 0..1 (`what` names it). */
export function checkShare(value: number, what: string): void {
  if (!(value >= 0 && value <= 1)) {
    throw new RolloutError('ROLLOUT_INVALID_SHARE', `${what} is ${value}, outside 0..1: give a share between 0 and 1 (0.1 = 10 % of calls).`, {
      details: { share: value },
    });
  }
}

/** Throws `ROLLOUT_INVALID_SHARE` unless the shares are each in 0..1 and add up to 1. */
export function checkAllocation(allocation: Readonly<Record<string, number>>, arms: readonly string[]): void {
  for (const arm of Object.keys(allocation)) {
    if (!arms.includes(arm)) {
      throw new RolloutError('ROLLOUT_UNKNOWN_ARM', `The allocation names arm "${arm}", which is not one of ${arms.join(', ')}: give shares for the experiment's arms only.`, {
        details: { arm, arms: [...arms] },
      });
    }
  }
  let total = 0;
  for (const arm of arms) {
    const value = allocation[arm] ?? 0;
    checkShare(value, `The share of arm "${arm}"`);
    if (value === 0) {
      throw new RolloutError('ROLLOUT_INVALID_SHARE', `Arm "${arm}" has a share of 0: it would never be served and the test never end. Give every arm a share above 0, or leave it out.`, {
        details: { arm },
      });
    }
    total += value;
  }
  if (Math.abs(total - 1) > 1e-9) {
    throw new RolloutError('ROLLOUT_INVALID_SHARE', `The shares add up to ${total}, not 1: give every arm its share so that they add up to 1.`, {
      details: { allocation: { ...allocation } },
    });
  }
}
