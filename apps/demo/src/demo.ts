import { ValidationError, type LanguageModel } from '@toolwright/core';
import { createModelRewriter } from '@toolwright/rewriter';
import { createToolwright, offlineModel, openaiModel, type AgentEvent } from 'toolwright';
import { startExchangeRateService } from './exchange-rate-service.js';
import { runFareTasks, runStaticBaseline, type TaskRow } from './scenario-a.js';
import { CALLS_PER_WINDOW, runRepair, type RepairReport } from './scenario-b.js';
import { runRollout, type RolloutReport } from './scenario-c.js';
import { runPromptEvolution, type EvolutionReport } from './scenario-d.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Where state lives; default `sqlite:./toolwright-demo.db`. Run twice on the same file to see reuse. */
  readonly database?: string;
  /** Progress lines. */
  readonly progress?: (line: string) => void;
  /** A real model to compare against (static baseline and self-improving), e.g. from {@link modelFromEnvironment}. */
  readonly realModel?: LanguageModel;
}

/** Everything the demo showed, as data (printed by `main.ts`, asserted by the tests). */
export interface DemoReport {
  readonly database: string;
  /** True when tools from an earlier run were already in the database. */
  readonly reusedEarlierRun: boolean;
  readonly toolsBefore: readonly string[];
  readonly scenarioA: {
    readonly rows: readonly TaskRow[];
    readonly exact: number;
    readonly built: number;
    readonly reused: number;
    readonly realModel?: { readonly model: string; readonly baseline: readonly TaskRow[]; readonly selfImproving: readonly TaskRow[] };
  };
  readonly scenarioB: RepairReport;
  /** Live experiments: a canary that reaches 100 %, a worse one rolled back on its own, a bandit (own in-memory database). */
  readonly scenarioC: RolloutReport;
  /** Prompt evolution: batch reflection, a refinement A/B-tested and approved, a protected phrase kept (own in-memory database). */
  readonly scenarioD: EvolutionReport;
  readonly durationMs: number;
}

/** The key sent to a local OpenAI-compatible server that checks none (Ollama, LM Studio, vLLM without `--api-key`). */
const NO_KEY_NEEDED = 'not-needed';

/**
 * A real model when the environment names one: `OPENAI_API_KEY` (+ `TOOLWRIGHT_MODEL`, default
 * `gpt-4o-mini`), or `TOOLWRIGHT_BASE_URL` + `TOOLWRIGHT_MODEL` for a local server, which needs no
 * key. Reads only `env`; empty variables count as unset.
 */
export function modelFromEnvironment(env: NodeJS.ProcessEnv = process.env): LanguageModel | undefined {
  const baseURL = env['TOOLWRIGHT_BASE_URL'] || undefined;
  const apiKey = env['OPENAI_API_KEY'] || undefined;
  if (!baseURL && !apiKey) return undefined;
  const model = env['TOOLWRIGHT_MODEL'] || (baseURL ? undefined : 'gpt-4o-mini');
  if (!model) throw new ValidationError('INVALID_ARGUMENT', `TOOLWRIGHT_BASE_URL is set (${baseURL}) but TOOLWRIGHT_MODEL is not: set it to the name of a model that server serves (e.g. llama3.1).`);
  // Always an explicit key, so the model depends only on the `env` given here, never on process.env.
  return openaiModel({ model, ...(baseURL ? { baseURL } : {}), apiKey: apiKey ?? NO_KEY_NEEDED });
}

/**
 * Runs the three scenarios offline (and, with a real model, the comparison) and returns the report.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const started = performance.now();
  const progress = options.progress ?? (() => undefined);
  const database = options.database ?? 'sqlite:./toolwright-demo.db';
  const service = await startExchangeRateService();
  const onEvent = (event: AgentEvent): void => {
    if (event.type === 'tool-created') progress(`    built ${event.name} v${event.version}`);
    if (event.type === 'tool-reused') progress(`    reused ${event.name}`);
    if (event.type === 'improvement') {
      for (const tool of event.report.tools) if (tool.outcome !== 'healthy' && tool.outcome !== 'insufficient-data') progress(`    improvement cycle: ${tool.tool} v${tool.version} → ${tool.outcome}${tool.newVersion ? ` (v${tool.newVersion})` : ''}`);
    }
  };
  // One offline model writes the tools (scenario A) and chooses the repair (scenario B).
  const model = offlineModel({
    onEvent: (event) => {
      if (event.type === 'repair') progress(`    offline model chose ${event.transforms.join(' + ')}: ${event.reason}`);
      if (event.type === 'cannot') progress(`    offline model: ${event.reason}`);
    },
  });
  const agent = await createToolwright({
    database,
    model,
    network: { allow: [service.origin] },
    sandbox: { timeoutMs: 1_000 },
    // The model rewriter asks the model for the next version; the offline model names
    // transforms, written with these settings: retry with backoff, and a timeout around each
    // fetch well inside the run's deadline.
    rewriter: createModelRewriter({ model, transforms: { timeout: { callTimeoutMs: 150 }, retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 40 } } }),
    improve: { everyNCalls: CALLS_PER_WINDOW, inBackground: false, lastN: CALLS_PER_WINDOW },
    reflect: false,
    onEvent,
  });
  try {
    const toolsBefore = (await agent.registry.list({ kind: 'tool', status: 'active' })).map((version) => version.name);
    const known = new Set(toolsBefore);
    if (known.size > 0) progress(`State from an earlier run: ${known.size} active tool(s) in ${database} (${[...known].join(', ')}).`);

    progress('Scenario A — authoring and reuse (offline model: example-driven synthesis, no key, no network)');
    const rows = await runFareTasks(agent, known, progress);

    let realModel: DemoReport['scenarioA']['realModel'];
    if (options.realModel) {
      progress(`Scenario A on ${options.realModel.modelId}: static baseline, then self-improving`);
      const comparison = await createToolwright({ database: 'sqlite::memory:', model: options.realModel, improve: false, reflect: false, onEvent });
      try {
        const baseline = await runStaticBaseline(comparison, progress);
        const selfImproving = await runFareTasks(comparison, new Set(), progress);
        realModel = { model: options.realModel.modelId, baseline, selfImproving };
      } finally {
        await comparison.close();
      }
    }

    progress('Scenario B — degradation and repair of a network tool');
    const repair = await runRepair(agent, service, progress);

    progress('Scenario C — live experiments: canary rollout, automatic rollback, a bandit between two strategies');
    const rollout = await runRollout(progress);

    progress('Scenario D — prompt evolution: batch reflection, a refined prompt section as an A/B arm, approval, a protected phrase');
    const evolution = await runPromptEvolution(progress);

    return {
      database,
      reusedEarlierRun: known.size > 0,
      toolsBefore,
      scenarioA: {
        rows,
        exact: rows.filter((row) => row.exact).length,
        built: rows.filter((row) => row.tool === 'built').length,
        reused: rows.filter((row) => row.tool.startsWith('reused')).length,
        ...(realModel ? { realModel } : {}),
      },
      scenarioB: repair,
      scenarioC: rollout,
      scenarioD: evolution,
      durationMs: performance.now() - started,
    };
  } finally {
    await agent.close();
    await service.close();
  }
}
