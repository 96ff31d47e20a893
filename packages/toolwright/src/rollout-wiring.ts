import type { Change, ChangeEvidence, GateOutcome, GateStep, RegistryReader } from '@toolwright/core';
import type { Gate } from '@toolwright/gate';
import { createCanaryController, createRollout, type CanaryController, type Rollout, type RolloutDatabase, type RolloutReviewer } from '@toolwright/rollout';
import type { SafetyPolicy } from '@toolwright/safety-policy';
import { z } from 'zod';

/**
 * Live experiments in {@link createToolwright}: which version of a tool serves each call
 * (`@toolwright/rollout`), on the same database as every other part.
 */
export interface ToolwrightRolloutOptions {
  /**
   * Start every tool rewrite the gate applies as a canary: the new version serves `share` of the
   * calls (default 0.1) and widens through `steps` (default `[0.5, 1]`) while it is not worse than
   * the version it replaced, or is rolled back through the gate when it is (`latencyTolerance`:
   * how much slower, relative, it may be and still count as not worse; default 0.25). Default `false`: a
   * rewrite serves every call at once, as without experiments.
   */
  readonly canary?: boolean | { readonly share?: number; readonly steps?: readonly number[]; readonly latencyTolerance?: number };
  /** How often the canary controller looks at every live experiment, in ms. Default 10,000; 0 = no timer (call `toolwright.experiments.tick()` yourself). */
  readonly tickMs?: number;
  /** How often per-arm counts are written to the database, in ms. Default 1,000. */
  readonly flushIntervalMs?: number;
  /** Errors of the background work (a look, a flush, a canary that could not start). Default: ignored. */
  readonly onError?: (error: unknown) => void;
}

/** zod schema of {@link ToolwrightRolloutOptions}. */
export const rolloutOptionsSchema = z
  .object({
    canary: z
      .union([
        z.boolean(),
        z
          .object({
            share: z.number().gt(0, 'a canary share is above 0').lt(1, 'a canary share is below 1').optional(),
            steps: z.array(z.number().gt(0).max(1)).min(1).optional(),
            // How much slower (relative) the candidate may be and still count as not worse (the canary test's latencyTolerance, default 0.25).
            latencyTolerance: z.number().nonnegative().max(100).optional(),
          })
          .strict(),
      ])
      .default(false),
    tickMs: z.number().int().nonnegative().default(10_000),
    flushIntervalMs: z.number().int().nonnegative().optional(),
    onError: z.custom<(error: unknown) => void>((value) => typeof value === 'function', { message: 'onError is a function' }).optional(),
  })
  .strict();

/** The rollout, its controller, and the gate that keeps experiments in step with what is in force. */
export interface WiredRollout {
  readonly rollout: Rollout;
  readonly experiments: CanaryController;
  /** The gate everyone else gets: the one gate, plus the experiment bookkeeping after each applied change. */
  readonly gate: Gate;
  /** Stops the timer, waits for a look in progress, flushes and closes the rollout. */
  close(): Promise<void>;
}

/** Applied changes that move what is in force for an artifact outside an experiment. */
const MOVES_ACTIVE = new Set<Change['kind']>(['rewrite-tool', 'rollback', 'promote-version', 'create-tool']);

/**
 * Creates the rollout and its canary controller on `database`, and wraps `gate`: after every
 * applied change that moves an artifact's active version, that artifact's live experiments are
 * superseded (they would hide the new version) — except the experiment whose own winner a
 * `promote-version` made active, which completes with that winner — and with `canary` an applied rewrite starts as a
 * canary against the version it replaced. The controller itself proposes to the inner gate.
 */
export async function wireRollout(parts: {
  readonly database: RolloutDatabase;
  readonly registry: Pick<RegistryReader, 'get' | 'active'>;
  readonly gate: Gate;
  readonly policy: SafetyPolicy;
  readonly options: z.output<typeof rolloutOptionsSchema>;
  /** Reviews widening and A/B promotions; default the gate (`gateReviewer`). */
  readonly reviewer?: RolloutReviewer;
  /** Called after every change the wrapped gate applied, after the experiment bookkeeping (e.g. prompt evolution's canaries). */
  readonly afterApplied?: (outcome: GateOutcome) => Promise<void>;
}): Promise<WiredRollout> {
  const { database, registry, gate, policy, options } = parts;
  const onError = options.onError ?? (() => undefined);
  // A candidate that waits for a person (an open request carries it) serves no live call.
  const openRequest = async (artifact: string, version: number): Promise<string | undefined> =>
    (await policy.approvals.list({ name: artifact, status: ['proposed', 'approved'] })).find((request) => request.candidate?.name === artifact && request.candidate.version === version)?.id;
  const rollout = await createRollout({ database, registry, openRequest, ...(options.onError === undefined ? {} : { onError }), ...(options.flushIntervalMs === undefined ? {} : { flushIntervalMs: options.flushIntervalMs }) });
  const experiments = createCanaryController({ rollout, gate, policy, ...(parts.reviewer === undefined ? {} : { reviewer: parts.reviewer }) });
  const canary = options.canary === false ? undefined : options.canary === true ? {} : options.canary;

  const afterApplied = async (outcome: GateOutcome): Promise<void> => {
    await bookkeeping(outcome);
    if (outcome.status === 'applied') await parts.afterApplied?.(outcome);
  };
  const bookkeeping = async (outcome: GateOutcome): Promise<void> => {
    if (outcome.status !== 'applied') return;
    const change = outcome.change;
    if (!MOVES_ACTIVE.has(change.kind) || !('name' in change)) return;
    try {
      // The experiment whose own winner was promoted (a person approved its promote-version) completes; the others stop.
      const promoted = change.kind === 'promote-version' && change.experimentId !== undefined ? { experimentId: change.experimentId, version: change.toVersion } : undefined;
      await experiments.supersede(change.name, `the gate applied a ${change.kind} of "${change.name}"${outcome.version === undefined ? '' : ` (v${outcome.version.version} is active)`}.`, promoted === undefined ? {} : { promoted });
      if (canary !== undefined && change.kind === 'rewrite-tool' && outcome.version !== undefined && outcome.version.version !== change.fromVersion) {
        await experiments.startCanary({
          artifact: change.name,
          baseline: change.fromVersion,
          candidate: outcome.version.version,
          ...(canary.share === undefined ? {} : { share: canary.share }),
          ...(canary.steps === undefined ? {} : { steps: [...canary.steps] }),
          ...(canary.latencyTolerance === undefined ? {} : { test: { latencyTolerance: canary.latencyTolerance } }),
        });
      }
    } catch (error) {
      // The change is in force either way; a canary that cannot start (kill switch, pinned) leaves the new version serving every call.
      onError(error);
    }
  };

  const wrapped: Gate = {
    ...gate,
    async propose(change: Change, evidence?: ChangeEvidence) {
      const outcome = await gate.propose(change, evidence);
      await afterApplied(outcome);
      return outcome;
    },
    async applyApproved(id: string, step: GateStep) {
      const outcome = await gate.applyApproved(id, step);
      await afterApplied(outcome);
      return outcome;
    },
    async importBundle(bundle, evidence) {
      const outcome = await gate.importBundle(bundle, evidence);
      // Each activation the bundle asked for went through the gate as a change of its own.
      if (outcome.status === 'applied') for (const activation of outcome.imported?.activations ?? []) await afterApplied(activation);
      return outcome;
    },
  };

  let looking: Promise<unknown> | undefined;
  const timer =
    options.tickMs === 0
      ? undefined
      : setInterval(() => {
          if (looking !== undefined) return;
          looking = experiments
            .tick()
            .catch(onError)
            .finally(() => {
              looking = undefined;
            });
        }, options.tickMs);
  timer?.unref();

  return {
    rollout,
    experiments,
    gate: wrapped,
    async close() {
      if (timer !== undefined) clearInterval(timer);
      await looking;
      await rollout.close();
    },
  };
}
