import {
  createAgent,
  parseOrThrow,
  type Agent,
  type AgentEvent,
  type Evaluator,
  type LanguageModel,
  type PromptSection,
  type Rewriter,
} from '@toolwright/core';
import { createEvaluator, type EvaluatorConfig } from '@toolwright/evaluator';
import { createMemory, openDatabase, type Database, type MemoryStore, type OpenDatabaseOptions } from '@toolwright/memory';
import { offlineModel } from '@toolwright/offline';
import { createRegistry, type RegistryStore } from '@toolwright/registry';
import { createRegressionRunner, type RegressionSuite } from '@toolwright/regression';
import { createModelRewriter, createTransformRewriter } from '@toolwright/rewriter';
import { createPolicy, type PolicyConfig, type SafetyPolicy, type SectionVerification } from '@toolwright/safety-policy';
import { createSandbox, type IsolatedSandbox, type SandboxOptions } from '@toolwright/sandbox';
import { z } from 'zod';
import { applyApproval, findCandidate, type AppliedApproval } from './apply-approval.js';

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
  readonly lessonTokenBudget?: number;
  readonly reflect?: boolean;
  readonly learnRules?: boolean;
  readonly onEvent?: (event: AgentEvent) => void;
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
  /** The check of the stored immutable sections made at load. */
  readonly sections: SectionVerification;
  /**
   * A person approves a queued change; it is applied through the same promotion path as an
   * automatic one (promotion, rollback, pin, prompt section), then marked applied.
   */
  approve(id: string, step: { readonly by: string; readonly note?: string }): Promise<AppliedApproval>;
  /** A person rejects a queued change; a candidate version it carried is marked rejected. */
  reject(id: string, step: { readonly by: string; readonly note?: string }): Promise<void>;
  /** Waits for background work, flushes memory, disposes the sandbox and closes the database (when it opened it). */
  close(): Promise<void>;
}

const optionsSchema = z
  .object({
    database: z.union([z.string().min(1), z.custom<Database>((value) => typeof value === 'object' && value !== null && 'kysely' in value)]).default('sqlite:./toolwright.db'),
    network: z.object({ allow: z.array(z.string()).default([]) }).strict().default({ allow: [] }),
    rewriter: z.union([z.enum(['transform', 'model']), z.custom<Rewriter>((value) => typeof value === 'object' && value !== null && typeof (value as Rewriter).propose === 'function')]).default('transform'),
    heldOutShare: z.number().min(0).max(0.9).default(0.25),
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
 * import { openaiModel } from '@toolwright/core';
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
  const opened: { sandbox?: IsolatedSandbox } = {};
  try {
    const model = options.model ?? offlineModel();
    const memory = await createMemory({ db: database });
    const registry = await createRegistry({ db: database });
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
    const policy = createPolicy(policyConfig);
    const regression = createRegressionRunner({ sandbox, database, heldOutShare: parsed.heldOutShare });
    const evaluator = createEvaluator(options.evaluator);
    const rewriter: Rewriter =
      parsed.rewriter === 'transform' ? createTransformRewriter() : parsed.rewriter === 'model' ? createModelRewriter({ model, sandbox }) : parsed.rewriter;

    const sections = await seedAndVerifySections(registry, policy, immutable);

    const agent = createAgent({
      model,
      sandbox,
      memory,
      registry,
      evaluator,
      rewriter,
      regression,
      policy,
      instructions: { immutable },
      ...(options.improve === undefined ? {} : { improve: options.improve }),
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
      ...(options.maxToolAttempts === undefined ? {} : { maxToolAttempts: options.maxToolAttempts }),
      ...(options.lessonTokenBudget === undefined ? {} : { lessonTokenBudget: options.lessonTokenBudget }),
      ...(options.reflect === undefined ? {} : { reflect: options.reflect }),
      ...(options.learnRules === undefined ? {} : { learnRules: options.learnRules }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    });

    let closed = false;
    return {
      ...agent,
      database,
      model,
      memory,
      registry,
      sandbox,
      policy,
      regression,
      evaluator,
      rewriter,
      sections,
      approve: (id, step) => applyApproval({ policy, registry, regression, memory }, id, step),
      async reject(id, step) {
        const approval = await policy.approvals.reject(id, step);
        const candidate = await findCandidate(registry, approval.change);
        if (candidate) await registry.reject(candidate.name, candidate.version, `rejected by ${step.by}${step.note ? `: ${step.note}` : ''}`);
      },
      async close() {
        if (closed) return;
        closed = true;
        try {
          await agent.close();
        } finally {
          await sandbox.dispose();
          if (ownsDatabase) await database.close();
        }
      },
    };
  } catch (error) {
    await opened.sandbox?.dispose().catch(() => undefined);
    if (ownsDatabase) await database.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Stores each immutable section as a prompt-section artifact the first time (authored by the
 * integrator), then checks every stored copy against the declared hash. A tampered copy is
 * reported and, by the policy's default, engages the kill switch.
 */
async function seedAndVerifySections(registry: RegistryStore, policy: SafetyPolicy, sections: readonly PromptSection[]): Promise<SectionVerification> {
  for (const section of sections) {
    if ((await registry.history(section.name)).length > 0) continue;
    const version = await registry.register({
      kind: 'prompt-section',
      name: section.name,
      source: section.text,
      author: { kind: 'person', id: 'integrator' },
      reason: 'immutable section declared by the integrator',
      parent: null,
    });
    await registry.promote(section.name, version.version, { reason: 'immutable section declared by the integrator' });
  }
  const stored = [];
  for (const section of sections) {
    const active = await registry.active(section.name);
    if (active) stored.push({ name: active.name, text: active.source });
  }
  return policy.verifySections(stored);
}
