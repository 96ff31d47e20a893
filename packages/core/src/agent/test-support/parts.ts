import type { ToolSpecInput } from '../../artifact.js';
import type { Diagnosis, Evaluator } from '../../evaluator.js';
import type { ChangeEvidence } from '../../gate.js';
import type { Change } from '../../policy.js';
import type { Candidate, Rewriter } from '../../rewriter.js';
import { createBackgroundWork } from '../background.js';
import type { AgentEvent } from '../events.js';
import { activeToolOf, newRunState, type ActiveTool, type RunState } from '../run-state.js';
import { createTracing } from '../tracing.js';
import { InMemoryMemory } from './in-memory-memory.js';
import { InMemoryRegistry } from './in-memory-registry.js';
import { InMemoryRegression } from './in-memory-regression.js';
import { InMemorySandbox } from './in-memory-sandbox.js';
import { ScriptedGate, type GateAnswer } from './scripted-gate.js';
import { diagnosisOf, toolSpec, toolVersion } from './versions.js';

/** Test support: every in-memory part, wired to each other, with the events they emit. */
export function inMemoryParts(answer?: (change: Change, evidence: ChangeEvidence, index: number) => GateAnswer | Promise<GateAnswer>) {
  const sandbox = new InMemorySandbox();
  const registry = new InMemoryRegistry();
  const memory = new InMemoryMemory();
  const regression = new InMemoryRegression(sandbox);
  const gate = new ScriptedGate(registry, answer);
  const events: AgentEvent[] = [];
  return {
    sandbox,
    registry,
    memory,
    regression,
    gate,
    events,
    emit: (event: AgentEvent) => events.push(event),
    background: createBackgroundWork(),
    tracing: createTracing(),
    /** Stores an active tool. */
    install(spec: ToolSpecInput, init: { version?: number; pinned?: boolean } = {}) {
      return registry.put(toolVersion(spec, init));
    },
  };
}

/** A run state over the registry's active tools. */
export async function runStateOver(registry: InMemoryRegistry, init: Partial<Pick<RunState, 'examples' | 'task' | 'taskId'>> = {}): Promise<RunState> {
  const tools = new Map<string, ActiveTool>();
  for (const version of await registry.list({ kind: 'tool' })) {
    const tool = activeToolOf(version);
    if (tool) tools.set(version.name, tool);
  }
  return newRunState({ taskId: init.taskId ?? 'task-1', task: init.task ?? 'Total these fares', examples: init.examples ?? [], signal: undefined, tools });
}

/** `total_fares`: sums `fares`. */
export const TOTAL_FARES = toolSpec({
  name: 'total_fares',
  description: 'Sums a list of fares.',
  inputSchema: { type: 'object', properties: { fares: { type: 'array', items: { type: 'number' } } }, required: ['fares'] },
  language: 'js',
  source: 'export default ({ fares }) => fares.reduce((sum, fare) => sum + fare, 0);',
  examples: [
    { input: { fares: [1, 2] }, output: 3 },
    { input: { fares: [10] }, output: 10 },
  ],
});

/** An evaluator that answers the same diagnosis for every tool. */
export function fixedEvaluator(status: Diagnosis['status']): Evaluator {
  return { evaluate: (summary) => diagnosisOf(summary.tool, status) };
}

/** A rewriter that proposes these sources, in order, as candidates of the tool it is asked about. */
export function fixedRewriter(sources: readonly string[]): Rewriter & { readonly requests: unknown[] } {
  const requests: unknown[] = [];
  return {
    requests,
    async propose(request) {
      requests.push(request);
      const spec = request.artifact.spec;
      if (!spec) throw new Error(`${request.artifact.name} is not a tool`);
      return sources.map((source, index): Candidate => ({
        name: request.artifact.name,
        parent: request.artifact.version,
        source,
        spec,
        author: { kind: 'transform', id: `transform-${index + 1}` },
        reason: `candidate ${index + 1}`,
        diagnosis: request.diagnosis,
        tokens: { inputTokens: 0, outputTokens: 0 },
      }));
    },
  };
}
