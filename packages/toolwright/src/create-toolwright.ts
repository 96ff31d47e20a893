import {
  createAgent,
  createPreferenceLearner,
  type LearnedPreference,
  type PreferenceSignal,
  parseOrThrow,
  type Agent,
  type AgentEvent,
  type Evaluator,
  type GateOutcome,
  type GateStep,
  type LanguageModel,
  type NumericTolerance,
  type PromptSection,
  type ShadowOptions,
  type Rewriter,
} from '@toolwright/core';
import { createEvaluator, type EvaluatorConfig } from '@toolwright/evaluator';
import { createGate, type Gate } from '@toolwright/gate';
import { createMemory, type MemoryStore } from '@toolwright/memory';
import { offlineModel } from '@toolwright/offline';
import { createRegistry, type BundleKey, type RegistryStore } from '@toolwright/registry';
import { createRegressionRunner, type RegressionSuite } from '@toolwright/regression';
import { createModelRewriter, createTransformRewriter } from '@toolwright/rewriter';
import type { CanaryController, Rollout } from '@toolwright/rollout';
import { createPolicy, createPreferenceStore, type PolicyConfig, type PreferenceStore, type SafetyPolicy, type SectionVerification } from '@toolwright/safety-policy';
import { createSandbox, type IsolatedSandbox, type SandboxOptions } from '@toolwright/sandbox';
import { openDatabase, type Database, type OpenDatabaseOptions } from '@toolwright/store';
import { z } from 'zod';
import { rolloutOptionsSchema, wireRollout, type ToolwrightRolloutOptions } from './rollout-wiring.js';
import { evolutionOptionsSchema, evolutionReviewer, wireEvolution, type PromptEvolution, type ToolwrightEvolutionOptions } from './prompt-evolution-wiring.js';
import type { JobQueue } from '@toolwright/jobs';
import { wireFleet, workerOptionsSchema, type Fleet, type ToolwrightWorkerOptions } from './fleet-wiring.js';

/** Options of {@link createToolwright}. Every part has an embedded default. */
export interface ToolwrightOptions {
  /** `sqlite:./toolwright.db` (default), `sqlite::memory:`, `postgres://…`, or an open `Database`. */
  readonly database?: string | Database;
  readonly databaseOptions?: OpenDatabaseOptions;
  /** Default: the offline model (`@toolwright/offline`): no key, no network, no tokens. */
  readonly model?: LanguageModel;
  /** Origins tools may `fetch`: granted by the sandbox and inside the policy's capability envelope. Default: none. */
  readonly network?: { readonly allow: readonly string[] };
  /** Sandbox limits (memory, time, output size). Capabilities come from `network`. */
  readonly sandbox?: Omit<SandboxOptions, 'capabilities'>;
  /** Safety-policy rules. The database, the audit sink, the immutable sections and the envelope are wired here. */
  readonly policy?: Omit<PolicyConfig, 'database' | 'audit' | 'immutableSections'>;
  /** Immutable prompt sections: verbatim in every prompt; no change may touch them; verified by hash at load. */
  readonly instructions?: { readonly immutable?: readonly PromptSection[] };
  readonly evaluator?: EvaluatorConfig;
  /** `transform` (default: deterministic, no tokens), `model` (the model rewrites), or your own. */
  readonly rewriter?: 'transform' | 'model' | Rewriter;
  /** Share of captured cases held out from every rewriter. Default 0.25. */
  readonly heldOutShare?: number;
  readonly improve?: false | { readonly everyNCalls?: number; readonly inBackground?: boolean; readonly lastN?: number };
  readonly maxSteps?: number;
  readonly maxToolAttempts?: number;
  /** Deadline of one run (`AGENT_TIMEOUT`). Default 10 min; a run's own `timeoutMs` overrides it. */
  readonly runTimeoutMs?: number;
  /** Deadline of one model turn, retries included, body included (`MODEL_TIMEOUT`). Default 2 min. */
  readonly turnTimeoutMs?: number;
  /** Task inputs longer than this (characters of JSON) reach tools by reference. Default 400. */
  readonly inlineInputLimit?: number;
  readonly lessonTokenBudget?: number;
  /** Most learned rules in the prompt (the newest in force). Default 20. */
  readonly maxLearnedRules?: number;
  /** Token budget of a user's preferences in the prompt (`agent.run(task, { userId })`). Default 200. */
  readonly preferenceTokenBudget?: number;
  /** Most preferences per user in `toolwright.preferences`. Default 20. */
  readonly maxPreferencesPerUser?: number;
  /**
   * Prompt evolution: evolvable sections the agent refines after recurring failures
   * (`toolwright.evolution.refine()`), each refinement a change through the gate that, once in
   * force, runs as a canary widened only on measured benefit before it serves all traffic. Default: none.
   */
  readonly evolution?: ToolwrightEvolutionOptions;
  /**
   * Named strategies (prompt templates) per task type: a run with `taskType` gets one, picked by
   * the rollout's bandit (Thompson sampling, sticky per task), which learns from each run's success.
   */
  readonly strategies?: Readonly<Record<string, readonly PromptSection[]>>;
  readonly reflect?: boolean;
  readonly learnRules?: boolean;
  /** The shadow comparison after promotion (core's `createAgent({ shadow })`): default 5 % of a version's first 200 calls, then 1 %; `false` turns it off. */
  readonly shadow?: false | ShadowOptions;
  /** How numbers in examples are compared (core's `exampleTolerance`). Default `{ absolute: 1e-9, relative: 0 }`. */
  readonly exampleTolerance?: NumericTolerance;
  /** Recent tool calls kept for `feedback`. Default 1,000. */
  readonly recentCalls?: number;
  /** Serve a task given without examples by the active tool written for this same task (core's `serveKnownTasks`). Default true. */
  readonly serveKnownTasks?: boolean;
  readonly onEvent?: (event: AgentEvent) => void;
  /**
   * Live experiments (`@toolwright/rollout`): the agent's tool calls are served through the
   * rollout (a canary or A/B test decides which version serves each call, sticky per task), and
   * the canary controller looks at them every `tickMs`. `{ canary: true }` starts every applied
   * tool rewrite as a canary (10 → 50 → 100 %, rolled back through the gate when worse).
   */
  readonly rollout?: ToolwrightRolloutOptions;
  /**
   * Ed25519 keys for bundles (`KeyObject` or PEM): with `signingKey`, `registry.exportBundle()`
   * signs; with `publicKey`, `gate.importBundle()` accepts only bundles signed with its private
   * key (`REGISTRY_BUNDLE_UNSIGNED` / `REGISTRY_BUNDLE_INVALID` otherwise).
   */
  readonly bundles?: { readonly signingKey?: BundleKey; readonly publicKey?: BundleKey };
  /**
   * A fleet (`@toolwright/jobs`): improvement cycles become jobs in the database — on PostgreSQL
   * one job per tool and degradation episode across every instance, run by any instance that
   * works the queue, retried by another when its worker dies, parked after its last attempt.
   * `{ concurrency: 0 }` serves only. Without it (the default) each instance runs its own cycles
   * in-process, as before; on SQLite the jobs run in-process behind the same interface.
   */
  readonly worker?: ToolwrightWorkerOptions;
}

/** The agent plus every part it was wired from, for inspection, approvals and rollback. */
export interface Toolwright extends Agent {
  readonly database: Database;
  readonly model: LanguageModel;
  readonly memory: MemoryStore;
  readonly registry: RegistryStore;
  readonly sandbox: IsolatedSandbox;
  readonly policy: SafetyPolicy;
  readonly regression: RegressionSuite;
  readonly evaluator: Evaluator;
  readonly rewriter: Rewriter;
  /**
   * The one gate: every change to what is in force — a person's (pin, rollback, import, a prompt
   * section) as much as the agent's — is proposed here. `registry` is a reader; nothing else writes it.
   */
  readonly gate: Gate;
  /** The check of the stored immutable sections made at load. */
  readonly sections: SectionVerification;
  /** Which version serves which call: experiments (canary, A/B), per-arm figures (`report`), bandits (`selectArm`). */
  readonly rollout: Rollout;
  /** The canary controller: start, look at (`tick`), stop experiments; widening and rollbacks go through the gate. */
  readonly experiments: CanaryController;
  /** Per-user preferences (list, add, edit, delete); a run with `userId` gets that user's in its prompt, and only theirs. */
  readonly preferences: PreferenceStore;
  /**
   * Learns a preference of `userId` from a signal — a correction (stored as said), an edit, a
   * restated task (read by heuristics, then the model), an answer accepted as is — into `preferences`.
   */
  learnPreference(userId: string, signal: PreferenceSignal): Promise<LearnedPreference>;
  /** Batch reflection and prompt refinement (with `evolution`). */
  readonly evolution: PromptEvolution | undefined;
  /** The fleet's job queue (with `worker`): `stats()` per queue, `parked()` jobs with their errors. */
  readonly jobs?: JobQueue;
  /** A person approves a queued change and the gate applies it in the same transaction (`gate.applyApproved`). */
  approve(id: string, step: GateStep): Promise<GateOutcome>;
  /** A person rejects a queued change; a candidate version it carried is rejected (`gate.reject`). */
  reject(id: string, step: GateStep): Promise<GateOutcome>;
  /** Waits for background work, flushes memory, disposes the sandbox and closes the database (when it opened it). */
  close(): Promise<void>;
}

const optionsSchema = z
  .object({
    database: z.union([z.string().min(1), z.custom<Database>((value) => typeof value === 'object' && value !== null && 'kysely' in value)]).default('sqlite:./toolwright.db'),
    network: z.object({ allow: z.array(z.string()).default([]) }).strict().default({ allow: [] }),
    rewriter: z.union([z.enum(['transform', 'model']), z.custom<Rewriter>((value) => typeof value === 'object' && value !== null && typeof (value as Rewriter).propose === 'function')]).default('transform'),
    heldOutShare: z.number().min(0).max(0.9).default(0.25),
    rollout: rolloutOptionsSchema.prefault({}),
    evolution: evolutionOptionsSchema.optional(),
    worker: workerOptionsSchema.optional(),
  })
  .loose();

/**
 * Every part of Toolwright with its embedded default, in one call: SQLite (or PostgreSQL)
 * for memory, registry, regression cases and policy state; the isolated-vm sandbox; the
 * evaluator; the transform rewriter; the default safety policy; the offline model unless you
 * pass one.
 *
 * @example
 * ```ts
 * import { createToolwright } from 'toolwright';
 * import { openaiModel } from '@toolwright/core/openai';
 *
 * const agent = await createToolwright({ database: 'sqlite:./toolwright.db', model: openaiModel({ model: 'gpt-4o-mini' }) });
 * const result = await agent.run('Total these fares', { input: { fares: [229.92, 360.67] } });
 * console.log(result.output, result.createdTools);
 * await agent.close();
 * ```
 */
export async function createToolwright(options: ToolwrightOptions = {}): Promise<Toolwright> {
  const parsed = parseOrThrow(optionsSchema, options, 'createToolwright options');
  const ownsDatabase = typeof parsed.database === 'string';
  const database = typeof parsed.database === 'string' ? await openDatabase(parsed.database, options.databaseOptions) : parsed.database;
  const opened: { sandbox?: IsolatedSandbox; rollout?: { close(): Promise<void> }; jobs?: JobQueue } = {};
  try {
    const model = options.model ?? offlineModel();
    const memory = await createMemory({ database });
    const registry = await createRegistry({ database, ...(options.bundles?.signingKey === undefined ? {} : { bundleSigningKey: options.bundles.signingKey }) });
    const origins = parsed.network.allow;
    const sandbox = createSandbox({ ...options.sandbox, ...(origins.length > 0 ? { capabilities: { fetch: { allow: [...origins] } } } : {}) });
    opened.sandbox = sandbox;
    const immutable = options.instructions?.immutable ?? [];
    const policyConfig: PolicyConfig = {
      ...options.policy,
      database,
      audit: memory,
      immutableSections: immutable.map((section) => ({ name: section.name, text: section.text })),
      ...(origins.length > 0 && options.policy?.capabilities === undefined
        ? { capabilities: { envelope: [{ kind: 'fetch' as const, origins: [...origins] }] } }
        : {}),
    } as PolicyConfig;
    const policy = await createPolicy(policyConfig);
    const regression = await createRegressionRunner({ sandbox, database, heldOutShare: parsed.heldOutShare });
    const oneGate = await createGate({ database, registry, policy, memory, regression, ...(options.bundles?.publicKey === undefined ? {} : { bundlePublicKey: options.bundles.publicKey }) });
    // The gate everyone gets keeps live experiments in step with what is in force (see rollout-wiring.ts).
    // Prompt evolution starts a canary for each new version of an evolvable section the gate applies (set once it is wired).
    const evolutionHook: { afterApplied?: (outcome: GateOutcome) => Promise<void> } = {};
    // In a fleet the look at live experiments is a job (fleet-wiring.ts): no timer of its own here.
    const live = await wireRollout({
      database, registry, gate: oneGate, policy, options: parsed.worker === undefined ? parsed.rollout : { ...parsed.rollout, tickMs: 0 },
      reviewer: evolutionReviewer(oneGate, parsed.evolution?.sections.map((section) => section.name) ?? []),
      afterApplied: async (outcome) => evolutionHook.afterApplied?.(outcome),
    });
    opened.rollout = live;
    const { gate, rollout, experiments } = live;
    const evaluator = createEvaluator(options.evaluator);
    const rewriter: Rewriter =
      parsed.rewriter === 'transform' ? createTransformRewriter() : parsed.rewriter === 'model' ? createModelRewriter({ model, sandbox }) : parsed.rewriter;

    const sections = await seedAndVerifySections(gate, registry, policy, immutable);
    const preferences = await createPreferenceStore({ database, ...(options.maxPreferencesPerUser === undefined ? {} : { maxPerUser: options.maxPreferencesPerUser }) });
    const learner = createPreferenceLearner({ model, store: preferences });
    const evolution =
      parsed.evolution === undefined
        ? undefined
        : await wireEvolution({ options: parsed.evolution, immutable, model, memory, registry, gate, experiments, rollout, ownSchedule: parsed.worker === undefined });
    if (evolution !== undefined) evolutionHook.afterApplied = (outcome) => evolution.afterApplied(outcome);
    const lastN = options.improve === false || options.improve === undefined ? 50 : (options.improve.lastN ?? 50);
    const fleet: Fleet | undefined =
      parsed.worker === undefined
        ? undefined
        : await wireFleet(
            {
              database, registry, memory, evaluator, rewriter, regression, gate, lastN,
              ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
              experiments: { controller: experiments, tickMs: parsed.rollout.tickMs, ...(parsed.rollout.onError === undefined ? {} : { onError: parsed.rollout.onError }) },
              ...(evolution !== undefined && typeof parsed.evolution?.cadence === 'object' && 'everyMs' in parsed.evolution.cadence
                ? { evolution: { refineWhenDue: evolution.refineWhenDue, everyMs: parsed.evolution.cadence.everyMs, ...(parsed.evolution.onError === undefined ? {} : { onError: parsed.evolution.onError }) } }
                : {}),
            },
            parsed.worker,
          );
    opened.jobs = fleet?.jobs;

    const agent = createAgent({
      model,
      sandbox,
      memory,
      registry,
      evaluator,
      rewriter,
      regression,
      gate,
      instructions: { immutable },
      ...(options.improve === undefined ? {} : { improve: options.improve }),
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
      ...(options.maxToolAttempts === undefined ? {} : { maxToolAttempts: options.maxToolAttempts }),
      ...(options.runTimeoutMs === undefined ? {} : { runTimeoutMs: options.runTimeoutMs }),
      ...(options.turnTimeoutMs === undefined ? {} : { turnTimeoutMs: options.turnTimeoutMs }),
      ...(options.inlineInputLimit === undefined ? {} : { inlineInputLimit: options.inlineInputLimit }),
      ...(options.lessonTokenBudget === undefined ? {} : { lessonTokenBudget: options.lessonTokenBudget }),
      ...(options.maxLearnedRules === undefined ? {} : { maxLearnedRules: options.maxLearnedRules }),
      ...(options.preferenceTokenBudget === undefined ? {} : { preferenceTokenBudget: options.preferenceTokenBudget }),
      preferences,
      ...(options.strategies === undefined ? {} : { strategies: { selector: rollout, byTaskType: options.strategies } }),
      ...(options.reflect === undefined ? {} : { reflect: options.reflect }),
      ...(options.learnRules === undefined ? {} : { learnRules: options.learnRules }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
      versions: rollout,
      ...(options.shadow === undefined ? {} : { shadow: options.shadow }),
      ...(options.exampleTolerance === undefined ? {} : { exampleTolerance: options.exampleTolerance }),
      ...(options.recentCalls === undefined ? {} : { recentCalls: options.recentCalls }),
      ...(options.serveKnownTasks === undefined ? {} : { serveKnownTasks: options.serveKnownTasks }),
      ...(fleet === undefined ? {} : { improvementQueue: fleet.improvementQueue }),
    });
    await fleet?.start();

    let closed = false;
    return {
      ...agent,
      async run(task, runOptions) {
        try {
          return await agent.run(task, runOptions);
        } finally {
          evolution?.ranOnce();
        }
      },
      async idle() {
        await agent.idle();
        await evolution?.idle();
      },
      database,
      model,
      memory,
      registry,
      sandbox,
      policy,
      regression,
      evaluator,
      rewriter,
      gate,
      sections,
      rollout,
      experiments,
      preferences,
      learnPreference: (userId, signal) => learner.learn(userId, signal),
      evolution,
      ...(fleet === undefined ? {} : { jobs: fleet.jobs }),
      approve: (id, step) => gate.applyApproved(id, step),
      reject: (id, step) => gate.reject(id, step),
      async close() {
        if (closed) return;
        closed = true;
        try {
          // The evolution schedule stops, and a refinement it started finishes, before anything it uses closes.
          evolution?.close();
          await evolution?.idle();
          // Workers stop first: a running job finishes (or is left to another instance) before the parts close.
          await fleet?.close().catch(() => undefined);
          await agent.close();
        } finally {
          await live.close().catch(() => undefined);
          await sandbox.dispose();
          if (ownsDatabase) await database.close();
        }
      },
    };
  } catch (error) {
    await opened.jobs?.close().catch(() => undefined);
    await opened.rollout?.close().catch(() => undefined);
    await opened.sandbox?.dispose().catch(() => undefined);
    if (ownsDatabase) await database.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Stores each immutable section as a prompt-section artifact the first time — through the gate,
 * as the integrator's change (the policy allows exactly the declared text) — then checks every
 * stored copy against the declared hash. A tampered copy is reported and, by the policy's
 * default, engages the kill switch.
 */
async function seedAndVerifySections(gate: Gate, registry: RegistryStore, policy: SafetyPolicy, sections: readonly PromptSection[]): Promise<SectionVerification> {
  for (const section of sections) {
    if ((await registry.history(section.name)).length > 0) continue;
    await gate.propose(
      { kind: 'change-prompt-section', origin: 'person', name: section.name, fromVersion: undefined, text: section.text },
      { by: 'integrator', author: { kind: 'person', id: 'integrator' }, reason: 'immutable section declared by the integrator' },
    );
  }
  const stored = [];
  for (const section of sections) {
    const active = await registry.active(section.name);
    if (active) stored.push({ name: active.name, text: active.source });
  }
  return policy.verifySections(stored);
}
