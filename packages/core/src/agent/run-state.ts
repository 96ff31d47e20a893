import type { ArtifactVersion, ToolExample } from '../artifact.js';
import type { JsonValue } from '../json.js';
import type { ToolDefinition } from '../model.js';
import type { RegistryReader } from '../registry.js';
import type { NumericTolerance } from './output-match.js';
import type { AgentToolCall } from './types.js';

/** An active tool version and the definition the model sees. */
export interface ActiveTool {
  readonly version: ArtifactVersion;
  readonly definition: ToolDefinition;
}

/** What one run knows and has done so far; the parts of the loop share it. */
export interface RunState {
  readonly taskId: string;
  readonly task: string;
  readonly examples: readonly ToolExample[];
  /** How numbers are compared with the examples' outputs in this run (the run's `tolerance`), when set. */
  readonly tolerance?: NumericTolerance;
  /** The task's input; tool arguments may refer to it as `{"$ref":"input"}`. */
  readonly input?: JsonValue;
  readonly signal: AbortSignal | undefined;
  /** The tools the model may call, by name: the active ones at the start plus those created in this run. */
  readonly tools: Map<string, ActiveTool>;
  readonly toolCalls: AgentToolCall[];
  readonly createdTools: string[];
  readonly reusedTools: string[];
  /** `create_tool` calls refused so far. */
  refusedAttempts: number;
  /** The current model turn, from 1. */
  step: number;
}

/** A fresh run state. */
export function newRunState(init: Pick<RunState, 'taskId' | 'task' | 'examples' | 'signal' | 'tools' | 'input' | 'tolerance'>): RunState {
  return { ...init, toolCalls: [], createdTools: [], reusedTools: [], refusedAttempts: 0, step: 0 };
}

/** The {@link ActiveTool} of a tool version; `undefined` for a version without a manifest. */
export function activeToolOf(version: ArtifactVersion): ActiveTool | undefined {
  if (version.kind !== 'tool' || !version.spec) return undefined;
  return { version, definition: { name: version.name, description: version.spec.description, inputSchema: version.spec.inputSchema } };
}

/** Every active tool in the registry, by name. */
export async function loadActiveTools(registry: Pick<RegistryReader, 'list'>): Promise<Map<string, ActiveTool>> {
  const tools = new Map<string, ActiveTool>();
  for (const version of await registry.list({ kind: 'tool', status: 'active' })) {
    const tool = activeToolOf(version);
    if (tool) tools.set(version.name, tool);
  }
  return tools;
}
