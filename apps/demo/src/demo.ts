import type { LanguageModel } from '@toolwright/core';
import { createTransformRewriter } from '@toolwright/rewriter';
import { createToolwright, openaiModel, type AgentEvent } from 'toolwright';
import { startExchangeRateService } from './exchange-rate-service.js';
import { runFareTasks, runStaticBaseline, type TaskRow } from './scenario-a.js';
import { CALLS_PER_WINDOW, runRepair, type RepairReport } from './scenario-b.js';

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
  readonly durationMs: number;
}

/** A real model when the environment names one: `OPENAI_API_KEY` (+ `TOOLWRIGHT_MODEL`), or `TOOLWRIGHT_BASE_URL` + `TOOLWRIGHT_MODEL`. */
export function modelFromEnvironment(env: NodeJS.ProcessEnv = process.env): LanguageModel | undefined {
  const baseURL = env['TOOLWRIGHT_BASE_URL'];
  const apiKey = env['OPENAI_API_KEY'];
  if (!baseURL && !apiKey) return undefined;
  const model = env['TOOLWRIGHT_MODEL'] ?? (baseURL ? undefined : 'gpt-4o-mini');
  if (!model) throw new Error('TOOLWRIGHT_BASE_URL is set: also set TOOLWRIGHT_MODEL to the model name the server serves (e.g. llama3.1).');
  return openaiModel({ model, ...(baseURL ? { baseURL } : {}), ...(apiKey ? { apiKey } : {}) });
}

/**
 * Runs both scenarios offline (and, with a real model, the comparison) and returns the report.
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
  const agent = await createToolwright({
    database,
    network: { allow: [service.origin] },
    sandbox: { timeoutMs: 1_000 },
    // Retry with backoff, and a timeout around each fetch well inside the run's deadline.
    rewriter: createTransformRewriter({ timeout: { callTimeoutMs: 150 }, retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 40 } }),
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
      durationMs: performance.now() - started,
    };
  } finally {
    await agent.close();
    await service.close();
  }
}
