import type { BackgroundWork } from './background.js';

/** When the scheduler starts a cycle: every N calls of a tool, in the background or awaited. */
export interface ImprovementSchedule {
  readonly everyNCalls: number;
  readonly inBackground: boolean;
}

/** What {@link createImprovementScheduler} needs. */
export interface ImprovementSchedulerDependencies {
  /** `false`: never on its own (only when asked). */
  readonly schedule: ImprovementSchedule | false;
  /** Runs one cycle for one tool. */
  readonly improve: (tool: string) => Promise<unknown>;
  readonly background: Pick<BackgroundWork, 'track'>;
}

/** Counts tool calls and starts improvement cycles. */
export interface ImprovementScheduler {
  /**
   * Counts one call of `tool`; every N calls starts a cycle for it — in the background, or
   * awaited with `inBackground: false`. Never rejects: a failing cycle never fails a call.
   */
  called(tool: string): Promise<void>;
}

/** An {@link ImprovementScheduler}. */
export function createImprovementScheduler(dependencies: ImprovementSchedulerDependencies): ImprovementScheduler {
  const { schedule, improve, background } = dependencies;
  const callsSinceImprovement = new Map<string, number>();
  return {
    async called(tool) {
      if (schedule === false) return;
      const count = (callsSinceImprovement.get(tool) ?? 0) + 1;
      if (count < schedule.everyNCalls) {
        callsSinceImprovement.set(tool, count);
        return;
      }
      callsSinceImprovement.set(tool, 0);
      if (schedule.inBackground) background.track(improve(tool));
      else await improve(tool).catch(() => undefined);
    },
  };
}
