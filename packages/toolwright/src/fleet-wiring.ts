import type { AgentEvent, ChangeGate, Evaluator, ImprovementQueue, Memory, RegistryReader, RegressionRunner, Rewriter } from '@toolwright/core';
import { createImprovementJobHandler, createImprovementQueue, createJobQueue, IMPROVE_QUEUE, type JobQueue } from '@toolwright/jobs';
import type { Database } from '@toolwright/store';
import { z } from 'zod';

/** The queue of the fleet's look at live experiments: one job per `tickMs` window across every instance. */
export const EXPERIMENTS_QUEUE = 'toolwright-experiments';
/** The queue of the fleet's scheduled prompt refinement (`evolution.cadence: { everyMs }`): one job per period across every instance. */
export const EVOLUTION_QUEUE = 'toolwright-evolution';

/**
 * A fleet's background work in {@link createToolwright}: improvement cycles become jobs in the
 * database (pg-boss on PostgreSQL; in-process on SQLite), one per tool and degradation episode
 * however many instances see it, run by whichever instance works the queue; and the canary
 * controller's look at every live experiment becomes one job per `rollout.tickMs` window (every
 * instance asks; the window's key throttles them to one), so a fleet of ten looks once, not ten
 * times, and proposes each widening once.
 */
export interface ToolwrightWorkerOptions {
  /** Jobs this instance runs at once. 0: serve only (this instance sends jobs, others run them). Default 1. */
  readonly concurrency?: number;
  /**
   * The queues this instance works. Default every queue (`toolwright-improve`,
   * `toolwright-experiments`, and `toolwright-evolution` with a scheduled evolution). `[]`: serve
   * only. In a fleet no instance looks at live experiments on a timer of its own: some instance
   * must work `toolwright-experiments`, or no canary is widened or rolled back (`toolwright report`
   * then shows its jobs queued).
   */
  readonly queues?: readonly string[];
  /** Attempts after the first before a job is parked for a person (`toolwright report`). Default 2. */
  readonly retryLimit?: number;
  /** Seconds between attempts. Default 5. */
  readonly retryDelaySeconds?: number;
  /**
   * PostgreSQL: a job still running after this long is presumed lost with its worker (killed,
   * crashed) and retried by another instance. Longer than any cycle. Default 900.
   */
  readonly expireInSeconds?: number;
  /** PostgreSQL: how often lost jobs are looked for. Default 30. */
  readonly maintenanceIntervalSeconds?: number;
  /** PostgreSQL: how often an idle worker asks for a job. Default 1. */
  readonly pollingIntervalSeconds?: number;
  /** After a cycle that changed nothing (healthy, no candidate, rejected), a new job for the same version may start after this long. Default 60 000 ms. */
  readonly cooldownMs?: number;
}

/** zod schema of {@link ToolwrightWorkerOptions}. */
export const workerOptionsSchema = z
  .object({
    concurrency: z.number().int().min(0).max(64).optional(),
    queues: z.array(z.string().min(1)).optional(),
    retryLimit: z.number().int().min(0).max(100).optional(),
    retryDelaySeconds: z.number().int().min(0).max(86_400).optional(),
    expireInSeconds: z.number().int().min(1).max(86_400).optional(),
    maintenanceIntervalSeconds: z.number().int().min(1).max(86_400).optional(),
    pollingIntervalSeconds: z.number().min(0.5).max(3600).optional(),
    cooldownMs: z.number().int().min(0).optional(),
  })
  .strict();

/** What {@link wireFleet} needs: the parts the improvement cycle runs on. */
export interface FleetParts {
  readonly database: Database;
  readonly registry: RegistryReader;
  readonly memory: Memory;
  readonly evaluator: Evaluator;
  readonly rewriter: Rewriter;
  readonly regression: RegressionRunner;
  readonly gate: ChangeGate;
  readonly lastN: number;
  readonly onEvent?: (event: AgentEvent) => void;
  /** The canary controller, and how often the fleet looks at live experiments (ms; 0: never on a timer). */
  readonly experiments?: { readonly controller: { tick(): Promise<unknown> }; readonly tickMs: number; readonly onError?: (error: unknown) => void };
  /** The scheduled prompt refinement (`evolution.cadence: { everyMs }`). */
  readonly evolution?: { refineWhenDue(): Promise<void>; readonly everyMs: number; readonly onError?: (error: unknown) => void };
}

/** The job queue, the agent's improvement queue on it, and when to start working. */
export interface Fleet {
  readonly jobs: JobQueue;
  readonly improvementQueue: ImprovementQueue;
  /** Starts asking for the experiment look on its timer, and working the configured queues (after the agent exists); serve-only instances only ask. */
  start(): Promise<void>;
  /** Stops asking, and closes the queue (a running job finishes first). */
  close(): Promise<void>;
}

/** Creates the queue on the database, registers the improvement handler, and returns the agent's queue. */
export async function wireFleet(parts: FleetParts, options: z.output<typeof workerOptionsSchema>): Promise<Fleet> {
  const jobs = await createJobQueue({
    database: parts.database,
    ...(options.retryLimit === undefined ? {} : { retryLimit: options.retryLimit }),
    ...(options.retryDelaySeconds === undefined ? {} : { retryDelaySeconds: options.retryDelaySeconds }),
    ...(options.expireInSeconds === undefined ? {} : { expireInSeconds: options.expireInSeconds }),
    ...(options.maintenanceIntervalSeconds === undefined ? {} : { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }),
    ...(options.pollingIntervalSeconds === undefined ? {} : { pollingIntervalSeconds: options.pollingIntervalSeconds }),
  });
  try {
    await jobs.define(
      IMPROVE_QUEUE,
      createImprovementJobHandler({
        registry: parts.registry,
        memory: parts.memory,
        evaluator: parts.evaluator,
        rewriter: parts.rewriter,
        regression: parts.regression,
        gate: parts.gate,
        lastN: parts.lastN,
        ...(options.cooldownMs === undefined ? {} : { cooldownMs: options.cooldownMs }),
        ...(parts.onEvent === undefined ? {} : { onReport: (report) => parts.onEvent?.({ type: 'improvement', report }) }),
      }),
    );
    // A failed look is not retried but parked (it shows in toolwright report): the next window's look is the retry.
    if (parts.experiments !== undefined) await jobs.define(EXPERIMENTS_QUEUE, async () => void (await parts.experiments?.controller.tick()));
    if (parts.evolution !== undefined) await jobs.define(EVOLUTION_QUEUE, async () => parts.evolution?.refineWhenDue());
  } catch (error) {
    await jobs.close().catch(() => undefined);
    throw error;
  }
  const concurrency = options.concurrency ?? 1;
  const queues = options.queues ?? [IMPROVE_QUEUE, ...(parts.experiments === undefined ? [] : [EXPERIMENTS_QUEUE]), ...(parts.evolution === undefined ? [] : [EVOLUTION_QUEUE])];
  const timers: ReturnType<typeof setInterval>[] = [];
  /** Every `everyMs` this instance asks for the job of `queue`; the throttled key makes one per window across the fleet. */
  const ask = (queue: string, everyMs: number, onError: ((error: unknown) => void) | undefined): void => {
    // pg-boss throttles windows of at most 12 hours: a longer period asks once per period here and is throttled to 12-hour windows.
    const throttleSeconds = Math.min(43_200, Math.max(1, Math.round(everyMs / 1000)));
    const timer = setInterval(() => {
      jobs.enqueue(queue, {}, { key: 'due', throttleSeconds }).catch((error: unknown) => onError?.(error));
    }, everyMs);
    timer.unref();
    timers.push(timer);
  };
  let asking = false;
  return {
    jobs,
    improvementQueue: createImprovementQueue({ jobs, registry: parts.registry, memory: parts.memory }),
    async start() {
      if (!asking) {
        asking = true;
        const { experiments, evolution } = parts;
        if (experiments !== undefined && experiments.tickMs > 0) ask(EXPERIMENTS_QUEUE, experiments.tickMs, experiments.onError);
        if (evolution !== undefined) ask(EVOLUTION_QUEUE, evolution.everyMs, evolution.onError);
      }
      if (concurrency === 0 || queues.length === 0) return;
      // The periodic looks and refinements get a slot of their own: a long improvement cycle never holds back a look that would roll a worse canary back.
      const periodic: string[] = queues.filter((queue) => queue === EXPERIMENTS_QUEUE || queue === EVOLUTION_QUEUE);
      const others = queues.filter((queue) => !periodic.includes(queue));
      if (others.length > 0) await jobs.work({ concurrency, queues: others });
      if (periodic.length > 0) await jobs.work({ concurrency: 1, queues: periodic });
    },
    async close() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await jobs.close();
    },
  };
}
