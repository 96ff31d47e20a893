import { randomUUID } from 'node:crypto';
import type { ArtifactVersion } from '../artifact.js';
import { jsonValueSchema, type JsonValue } from '../json.js';
import type { RegistryReader } from '../registry.js';
import type { Emit } from './events.js';
import { activeToolOf, type ActiveTool } from './run-state.js';
import type { ToolRunner } from './tool-runner.js';
import type { AgentRunResult } from './types.js';

/** The longest task text a tool records as the task it was written for (longer tasks are cut, so never matched). */
export const ORIGIN_TASK_LENGTH = 300;

/** The reason a tool written by the agent carries: the task it was written for, which {@link taskOfOrigin} reads back. */
export function originReason(taskId: string, task: string): string {
  return `written for task ${taskId}: ${task.slice(0, ORIGIN_TASK_LENGTH)}`;
}

/** The task text a version's reason records (see {@link originReason}), or `undefined`. */
export function taskOfOrigin(reason: string): string | undefined {
  const match = /^written for task [^:]*: ([\s\S]*)$/.exec(reason);
  return match?.[1];
}

const normalise = (text: string): string => text.trim().replace(/\s+/g, ' ');

/** The JSON shape of a value: object keys and value kinds, array element shapes (an empty array fits any array). */
function sameShape(a: JsonValue, b: JsonValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return false;
    const [first] = a;
    if (first === undefined || b.length === 0) return true;
    return [...a, ...b].every((item) => sameShape(first, item));
  }
  if (typeof a === 'object' && a !== null) {
    if (typeof b !== 'object' || b === null) return false;
    const keys = Object.keys(a).sort();
    const other = Object.keys(b).sort();
    return keys.length === other.length && keys.every((key, index) => key === other[index] && sameShape(a[key] as JsonValue, b[key] as JsonValue));
  }
  return (a === null ? 'null' : typeof a) === (b === null ? 'null' : typeof b);
}

/**
 * The tool argument for `input` when the tool's examples certainly take inputs of its shape:
 * the input itself, or the input under the one key every example input has (as the offline
 * model wraps a list or a number); `undefined` when not certain.
 */
function argumentFor(version: ArtifactVersion, input: JsonValue): JsonValue | undefined {
  const examples = version.spec?.examples.map((example) => example.input) ?? [];
  if (examples.length === 0) return undefined;
  if (examples.every((example) => sameShape(example, input))) return input;
  const [first] = examples;
  if (typeof first !== 'object' || first === null || Array.isArray(first)) return undefined;
  const keys = Object.keys(first);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined) return undefined;
  const wrapped = { [key]: input };
  return examples.every((example) => sameShape(example, wrapped)) ? wrapped : undefined;
}

/** What {@link createKnownTaskServer} needs. */
export interface KnownTaskDependencies {
  readonly registry: Pick<RegistryReader, 'list' | 'history'>;
  readonly toolRunner: Pick<ToolRunner, 'run'>;
  readonly emit: Emit;
}

/** Serves a task without examples by the one active tool certainly written for it, or says `undefined`. */
export type KnownTaskServer = (task: string, options: { readonly input?: JsonValue; readonly taskId?: string; readonly signal?: AbortSignal }) => Promise<AgentRunResult | undefined>;

/**
 * A task given without examples is served by an active tool, with no model turn, when the
 * match is certain: exactly one active tool descends from a version written for this very task
 * (the same text, whitespace aside, at most {@link ORIGIN_TASK_LENGTH} characters) and its
 * examples take inputs of the same shape as the task's input. The result says so
 * (`servedBy`), and the call is metered, captured and shadowed like any other. A call that
 * fails is not an answer: the run then goes to the model as usual.
 */
export function createKnownTaskServer(dependencies: KnownTaskDependencies): KnownTaskServer {
  const { registry, toolRunner, emit } = dependencies;

  /** The task the artifact's first version was written for. */
  const originTask = async (version: ArtifactVersion): Promise<string | undefined> => {
    const history = await registry.history(version.name);
    const byNumber = new Map(history.map((entry) => [entry.version, entry]));
    let current: ArtifactVersion | undefined = version;
    for (let hops = 0; current !== undefined && current.parent !== null && hops < history.length; hops++) current = byNumber.get(current.parent);
    return current === undefined ? undefined : taskOfOrigin(current.reason);
  };

  return async (task, options) => {
    // A malformed input is not served here: the run loop refuses it with its own error.
    if (options.input === undefined || task.length > ORIGIN_TASK_LENGTH || !jsonValueSchema.safeParse(options.input).success) return undefined;
    const wanted = normalise(task);
    const matches: { tool: ActiveTool; argument: JsonValue }[] = [];
    for (const version of await registry.list({ kind: 'tool', status: 'active' })) {
      const tool = activeToolOf(version);
      const argument = tool === undefined ? undefined : argumentFor(version, options.input);
      if (tool === undefined || argument === undefined) continue;
      const origin = await originTask(version);
      if (origin !== undefined && normalise(origin) === wanted) matches.push({ tool, argument });
    }
    const [match] = matches;
    if (match === undefined || matches.length > 1) return undefined;
    const startedAt = Date.now();
    const taskId = options.taskId ?? randomUUID();
    const call = await toolRunner.run(match.tool, { id: `known-task-${taskId}`, input: match.argument }, { taskId, step: 0, signal: options.signal });
    if (!call.ok) return undefined;
    const { name, version } = match.tool.version;
    const reason = `served by ${name} v${version} without the model: the tool was written for this same task (same task text and input shape), so no examples were needed`;
    emit({ type: 'task-matched', name, version, taskId, reason });
    const output = call.output ?? null;
    return {
      taskId,
      output,
      text: JSON.stringify(output),
      verification: { status: 'verified', tool: name, version, step: 0, from: 'json' },
      steps: [],
      toolCalls: [call],
      createdTools: [],
      reusedTools: [name],
      tokens: { input: 0, output: 0 },
      durationMs: Date.now() - startedAt,
      servedBy: { tool: name, version, reason },
    };
  };
}
