import {
  createImprovementCycle,
  ToolwrightError,
  type ChangeGate,
  type GateOutcome,
  type ImprovementCycleDependencies,
  type ImprovementQueue,
  type ImprovementReport,
  type JsonValue,
  type Memory,
  type RegistryReader,
  type Rewriter,
} from '@toolwright/core';
import type { JobHandler, JobQueue } from './job-queue.js';

/** The queue improvement cycles go to. */
export const IMPROVE_QUEUE = 'toolwright-improve';

/**
 * The dedupe key of one degradation episode of a tool: its name and the version in force.
 * Every instance that sees the same version degrade asks with the same key, so the fleet makes
 * one job; a new version (promoted, rolled back) is a new episode.
 */
export function improvementKey(tool: string, version: number): string {
  return `improve:${tool}@v${version}`;
}

/**
 * Core's {@link ImprovementQueue} on a {@link JobQueue}: `request(tool)` sends one job to
 * {@link IMPROVE_QUEUE} keyed by {@link improvementKey} of the active version.
 *
 * @example
 * ```ts
 * const jobs = await createJobQueue({ database });
 * const agent = createAgent({ ...parts, improvementQueue: createImprovementQueue({ jobs, registry }) });
 * ```
 */
export function createImprovementQueue(dependencies: {
  readonly jobs: Pick<JobQueue, 'enqueue'>;
  readonly registry: Pick<RegistryReader, 'active'>;
  /** This instance's memory: flushed before the request, so the worker (maybe another process) judges the calls that prompted it. */
  readonly memory?: Pick<Memory, 'flush'>;
}): ImprovementQueue {
  const { jobs, registry, memory } = dependencies;
  return {
    async request(tool) {
      await memory?.flush();
      const active = await registry.active(tool);
      const key = improvementKey(tool, active?.version ?? 0);
      const receipt = await jobs.enqueue(IMPROVE_QUEUE, { tool, version: active?.version ?? 0 }, { key });
      return { key, enqueued: receipt.enqueued, ...(receipt.id === undefined ? {} : { jobId: receipt.id }) };
    },
  };
}

/** What {@link createImprovementJobHandler} needs: the cycle's parts, and how long an episode lasts. */
export interface ImprovementJobDependencies extends ImprovementCycleDependencies {
  /** The evaluator's window (the version's last N calls). Default 50. */
  readonly lastN?: number;
  /**
   * After a job that found the tool healthy, no acceptable candidate, or whose candidate was
   * rejected, the key is free again after this long, so later calls may ask again (at once after
   * too few calls to judge). Default 60 000.
   */
  readonly cooldownMs?: number;
  /** After a job that queued a candidate for a person, the key stays taken this long. Default 86 400 000 (a day). */
  readonly awaitingApprovalMs?: number;
  /** Receives each job's report (events, logs). */
  readonly onReport?: (report: ImprovementReport) => void;
}

/**
 * The handler of {@link IMPROVE_QUEUE}: core's improvement cycle for the job's tool, with its
 * effects checkpointed as steps (DBOS-style, on our queue): the `improve.*` audit entries, the
 * rewriter's candidates and each `gate.propose`. A retry after a crash replays the steps that
 * finished and runs only the rest: one diagnosis entry, one proposal, one approval request.
 * A tool whose cycle fails throws `JOB_FAILED`, so the job is retried and then parked.
 */
export function createImprovementJobHandler(dependencies: ImprovementJobDependencies): JobHandler {
  const { lastN = 50, cooldownMs = 60_000, awaitingApprovalMs = 86_400_000, onReport } = dependencies;
  return async (data, context) => {
    const tool = typeof data['tool'] === 'string' ? data['tool'] : undefined;
    if (tool === undefined) throw new ToolwrightError('JOB_FAILED', `Improvement job ${context.id} has no "tool" in its data; it was not sent by createImprovementQueue.`);
    let proposals = 0;
    const memory: ImprovementCycleDependencies['memory'] = {
      flush: () => dependencies.memory.flush(),
      summary: (name, options) => dependencies.memory.summary(name, options),
      // A replayed step answers with the entry the first run wrote.
      audit: async (entry) => (await context.step(`audit:${entry.action}`, async () => asJson(await dependencies.memory.audit(entry)))) as never,
    } satisfies Pick<Memory, 'flush' | 'summary' | 'audit'>;
    const rewriter: Rewriter = {
      ...dependencies.rewriter,
      propose: async (request) => {
        const stored = (await context.step('rewrite', async (): Promise<JsonValue> => {
          try {
            return { candidates: asJson(await dependencies.rewriter.propose(request)) };
          } catch (error) {
            if (ToolwrightError.isInstance(error) && error.code === 'REWRITER_NO_CANDIDATE') return { noCandidate: error.message };
            throw error;
          }
        })) as { candidates?: JsonValue; noCandidate?: string };
        if (stored.noCandidate !== undefined) throw new ToolwrightError('REWRITER_NO_CANDIDATE', stored.noCandidate);
        return (stored.candidates ?? []) as never;
      },
    };
    const gate: ChangeGate = new Proxy(dependencies.gate, {
      get(target, property, receiver) {
        if (property !== 'propose') return Reflect.get(target, property, receiver);
        const propose: ChangeGate['propose'] = async (change, evidence) => {
          proposals += 1;
          const stored = await context.step(`gate.propose:${proposals}`, async () => asJson(await target.propose(change, evidence)));
          return revive(stored);
        };
        return propose;
      },
    });
    const cycle = createImprovementCycle({ ...dependencies, memory, rewriter, gate });
    const report = await cycle({ tool, lastN });
    onReport?.(report);
    const outcome = report.tools.find((entry) => entry.tool === tool);
    if (outcome?.outcome === 'failed') throw new ToolwrightError('JOB_FAILED', `The improvement cycle of "${tool}" failed: ${outcome.reasons.join('; ')}`);
    // Too few calls to judge: the next request (with more calls) may run at once.
    context.releaseKeyAfter(outcome?.outcome === 'queued' ? awaitingApprovalMs : outcome?.outcome === 'insufficient-data' ? 0 : cooldownMs);
    return { tool, outcome: outcome?.outcome ?? 'not-active', ...(outcome?.newVersion === undefined ? {} : { newVersion: outcome.newVersion }) };
  };
}

function asJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** A stored gate outcome as the cycle reads it: a failure's error is a `ToolwrightError` again. */
function revive(stored: JsonValue): GateOutcome {
  const outcome = stored as unknown as GateOutcome & { error?: { code?: string; message?: string } };
  if (outcome.status === 'failed' && outcome.error && !ToolwrightError.isInstance(outcome.error)) {
    const { code, message } = outcome.error;
    return { ...outcome, error: new ToolwrightError((code ?? 'JOB_FAILED') as never, message ?? 'the gate failed') } as GateOutcome;
  }
  return outcome;
}
