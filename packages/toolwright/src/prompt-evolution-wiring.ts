import {
  createPromptEvolver,
  reflectOnBatch,
  ToolwrightError,
  type BatchReflection,
  type GateOutcome,
  type LanguageModel,
  type Memory,
  type PromptRefinement,
  type PromptSection,
  type RegistryReader,
} from '@toolwright/core';
import type { Gate } from '@toolwright/gate';
import { gateReviewer, type CanaryController, type Experiment, type Rollout, type RolloutProposal, type RolloutReviewer } from '@toolwright/rollout';
import { z } from 'zod';

/**
 * Prompt evolution in {@link createToolwright}: evolvable sections the agent may refine after
 * recurring failures, each refinement a versioned `change-prompt-section` through the gate that
 * runs as an experiment arm before it serves all traffic.
 */
export interface ToolwrightEvolutionOptions {
  /**
   * The evolvable sections (tool-use hints, few-shot examples) with their first text, stored
   * through the gate as the integrator's at first start. Never an immutable section's name.
   */
  readonly sections: readonly PromptSection[];
  /**
   * The experiment every new version of an evolvable section runs as, once it is in force (the
   * default policy: a refinement waits for a person first; an unapproved version serves no live
   * call): a canary against the version it replaced, measured on task success, sticky per task.
   * It widens only on measured benefit — the success-rate interval of the canary above the
   * baseline's — and each widening is a `widen-rollout` through the gate (a person by default);
   * when the success rate drops it is rolled back through the gate (while that rollback waits for
   * a person, every run gets the previous version).
   */
  readonly experiment?: {
    /** The canary's first share. Default 0.1. */
    readonly canaryShare?: number;
    /** The shares it widens to. Default `[0.5, 1]`. */
    readonly steps?: readonly number[];
  };
  /** Failures a pattern needs before it is worth a refinement. Default 3. */
  readonly minCount?: number;
  /**
   * When refinement runs: `manual` (default: call `tw.evolution.refine()`), every `n` runs of the
   * agent (`{ everyNRuns: n }`), or on a schedule (`{ everyMs }`: collect for a period, then
   * reflect on the batch, refine, and run the refinement as an experiment). A refinement runs in
   * the background, one at a time, while no experiment runs on the section; errors go to `onError`.
   */
  readonly cadence?: 'manual' | { readonly everyNRuns: number } | { readonly everyMs: number };
  /** Errors of a refinement run by the cadence. Default: ignored. */
  readonly onError?: (error: unknown) => void;
}

/** zod schema of {@link ToolwrightEvolutionOptions}. */
export const evolutionOptionsSchema = z
  .object({
    sections: z.array(z.object({ name: z.string().min(1).max(200), text: z.string().min(1).max(4000) }).strict()).min(1, 'evolution needs at least one evolvable section'),
    experiment: z
      .object({
        canaryShare: z.number().gt(0).lt(1).optional(),
        steps: z.array(z.number().gt(0).max(1)).min(1).optional(),
      })
      .strict()
      .optional(),
    minCount: z.number().int().min(1).optional(),
    cadence: z
      .union([z.literal('manual'), z.object({ everyNRuns: z.number().int().min(1) }).strict(), z.object({ everyMs: z.number().int().min(1000) }).strict()])
      .default('manual'),
    onError: z.custom<(error: unknown) => void>((value) => typeof value === 'function', { message: 'onError is a function' }).optional(),
  })
  .strict();

/** What one `refine()` did: the batch analysis, the refinement, and the experiment it runs as. */
export interface EvolutionStep {
  readonly reflection: BatchReflection;
  readonly refinement: PromptRefinement;
  /** The canary the refinement runs as, when the policy let it in force at once (else it starts when a person approved it). */
  readonly experiment?: Experiment;
}

/** `toolwright.evolution`. */
export interface PromptEvolution {
  /** The evolvable sections' names. */
  readonly sections: readonly string[];
  /** Batch reflection over the last `lastN` stored calls of every active tool: the dominant failure pattern and its share, and a proposal per recurring pattern. */
  reflect(options?: { readonly lastN?: number }): Promise<BatchReflection>;
  /**
   * Batch reflection, then a refinement of `section` (the first evolvable one by default) for
   * the recurring patterns, proposed through the gate, then its experiment (see
   * {@link ToolwrightEvolutionOptions.experiment}).
   */
  refine(options?: { readonly section?: string; readonly lastN?: number }): Promise<EvolutionStep>;
  /** Starts the canary of a new version of an evolvable section the gate applied (the umbrella calls it after every applied change). */
  afterApplied(outcome: GateOutcome): Promise<void>;
  /** Counts one finished run for the `everyNRuns` cadence (the umbrella calls it after every run). */
  ranOnce(): void;
  /**
   * What the cadence runs, awaited: a refinement of the first evolvable section unless one is
   * live as an experiment or waits for a person (then nothing). In a fleet the `everyMs` schedule
   * runs it as a job, one per period across every instance.
   */
  refineWhenDue(): Promise<void>;
  /** Waits for a refinement the cadence started. */
  idle(): Promise<void>;
  /** Stops the schedule. */
  close(): void;
}

/**
 * The controller's reviewer: a canary of an evolvable section widens only on measured benefit —
 * the lower bound of its success-rate difference to the baseline above 0 — and then through the
 * gate as every widening ({@link gateReviewer}); anything else goes to the gate unchanged.
 */
export function evolutionReviewer(gate: Gate, evolvable: readonly string[]): RolloutReviewer {
  const fallback = gateReviewer(gate);
  return {
    async review(proposal: RolloutProposal) {
      if (proposal.kind === 'widen-rollout' && evolvable.includes(proposal.artifact)) {
        const lower = (proposal.evidence as { successDifference?: { lower?: number } } | undefined)?.successDifference?.lower;
        if (lower === undefined || !(lower > 0)) {
          return { status: 'denied', summary: `no measured benefit yet: the refined "${proposal.artifact}" is not better than the baseline on task success (lower bound ${lower === undefined ? 'unknown' : `${(lower * 100).toFixed(1)} points`}); it keeps its share.` };
        }
      }
      return fallback.review(proposal);
    },
  };
}

/** Seeds the evolvable sections and returns `toolwright.evolution`. */
export async function wireEvolution(parts: {
  readonly options: z.output<typeof evolutionOptionsSchema>;
  readonly immutable: readonly PromptSection[];
  readonly model: LanguageModel;
  readonly memory: Pick<Memory, 'summary'>;
  readonly registry: Pick<RegistryReader, 'active' | 'history' | 'list'>;
  readonly gate: Gate;
  readonly experiments: CanaryController;
  readonly rollout: Pick<Rollout, 'experiments'>;
  /** Whether the `everyMs` schedule runs on a timer here (default); false in a fleet, whose job queue runs it. */
  readonly ownSchedule?: boolean;
}): Promise<PromptEvolution> {
  const { options, immutable, model, memory, registry, gate, experiments, rollout } = parts;
  const names = options.sections.map((section) => section.name);
  const evolver = createPromptEvolver({ model, registry, gate, immutable: immutable.map((section) => section.name), evolvable: names, ...(options.minCount === undefined ? {} : { minCount: options.minCount }) });
  for (const section of options.sections) {
    if ((await registry.history(section.name)).length > 0) continue;
    const seeded = await gate.propose(
      { kind: 'change-prompt-section', origin: 'person', name: section.name, fromVersion: undefined, text: section.text },
      { by: 'integrator', author: { kind: 'person', id: 'integrator' }, reason: 'evolvable section declared by the integrator' },
    );
    if (seeded.status !== 'applied' && seeded.status !== 'queued') {
      throw new ToolwrightError('INVALID_ARGUMENT', `The evolvable section "${section.name}" could not be stored: ${seeded.summary} Fix its text (it must keep every protected phrase).`);
    }
  }
  const canaryOf = async (outcome: GateOutcome): Promise<Experiment | undefined> => {
    const change = outcome.change;
    if (outcome.status !== 'applied' || change.kind !== 'change-prompt-section' || !names.includes(change.name)) return undefined;
    const candidate = outcome.version?.version;
    if (change.fromVersion === undefined || candidate === undefined || candidate === change.fromVersion) return undefined;
    if ((await rollout.experiments({ status: ['running', 'frozen'], artifact: change.name })).length > 0) return undefined;
    return experiments.startCanary({
      artifact: change.name,
      baseline: change.fromVersion,
      candidate,
      ...(options.experiment?.canaryShare === undefined ? {} : { share: options.experiment.canaryShare }),
      ...(options.experiment?.steps === undefined ? {} : { steps: [...options.experiment.steps] }),
    });
  };
  const refine: PromptEvolution['refine'] = async (refineOptions = {}) => {
    const reflection = await reflectOnBatch({ memory, registry }, { ...(refineOptions.lastN === undefined ? {} : { lastN: refineOptions.lastN }), ...(options.minCount === undefined ? {} : { minCount: options.minCount }) });
    const section = refineOptions.section ?? (names[0] as string);
    const refinement = await evolver.refine(reflection.patterns, { section });
    if (refinement.status !== 'proposed') return { reflection, refinement };
    const experiment = refinement.outcome.status === 'applied' ? (await rollout.experiments({ status: ['running'], artifact: section }))[0] : undefined;
    return { reflection, refinement, ...(experiment === undefined ? {} : { experiment }) };
  };
  let running: Promise<void> | undefined;
  let runs = 0;
  let refining: Promise<void> | undefined;
  const refineWhenDue = (): Promise<void> => {
    // One at a time in this process (a job of the next window may start while this one runs).
    refining ??= (async () => {
      // One at a time per section: no refinement while the last one waits for a person or runs as a canary.
      const section = names[0] as string;
      const live = await rollout.experiments({ status: ['running', 'frozen'], artifact: section });
      const waiting = (await registry.history(section)).some((version) => version.status === 'candidate');
      if (live.length === 0 && !waiting) await refine();
    })().finally(() => {
      refining = undefined;
    });
    return refining;
  };
  const inBackground = (): void => {
    if (running !== undefined) return;
    running = refineWhenDue()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = undefined;
      });
  };
  const cadence = options.cadence;
  const timer = typeof cadence === 'object' && 'everyMs' in cadence && parts.ownSchedule !== false ? setInterval(inBackground, cadence.everyMs) : undefined;
  timer?.unref();
  return {
    sections: names,
    async afterApplied(outcome) {
      try {
        await canaryOf(outcome);
      } catch (error) {
        // The version is in force either way; a canary that cannot start (kill switch, pinned) leaves it serving every run.
        options.onError?.(error);
      }
    },
    ranOnce() {
      if (typeof cadence !== 'object' || !('everyNRuns' in cadence)) return;
      runs++;
      if (runs % cadence.everyNRuns === 0) inBackground();
    },
    refineWhenDue,
    idle: async () => {
      await running;
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
    },
    reflect: (reflectOptions = {}) => reflectOnBatch({ memory, registry }, { ...(reflectOptions.lastN === undefined ? {} : { lastN: reflectOptions.lastN }), ...(options.minCount === undefined ? {} : { minCount: options.minCount }) }),
    refine,
  };
}
