import type { ArtifactVersion } from '../artifact.js';
import { ToolwrightError } from '../errors.js';
import { contentHash } from '../hash.js';
import type { JsonValue } from '../json.js';
import type { Memory } from '../memory.js';
import type { TokenUsage } from '../model.js';
import type { RegistryReader } from '../registry.js';
import type { RegressionRunner } from '../regression.js';
import type { VersionAssignment, VersionSelector } from '../rollout.js';
import type { CompiledTool, Sandbox } from '../sandbox.js';
import type { BackgroundWork } from './background.js';
import { newCallId } from './call-id.js';
import type { Emit } from './events.js';
import type { ActiveTool } from './run-state.js';
import type { ShadowComparer } from './shadow-comparison.js';
import type { AgentTracing } from './tracing.js';
import type { AgentToolCall } from './types.js';

/** What {@link createToolRunner} needs. */
export interface ToolRunnerDependencies {
  readonly sandbox: Sandbox;
  /** Every call is recorded here (buffered). */
  readonly memory: Pick<Memory, 'record'>;
  /** Every successful call is offered here as a golden case, off the user's path. */
  readonly regression: Pick<RegressionRunner, 'capture'>;
  readonly tracing: AgentTracing;
  readonly background: Pick<BackgroundWork, 'track'>;
  readonly emit: Emit;
  /** Called after every call of a tool, e.g. to count calls toward an improvement cycle. */
  readonly afterCall?: (tool: string) => Promise<void>;
  /**
   * Live experiments (canary, A/B): asked which version serves each call, told each outcome.
   * Without it, the active version serves every call.
   */
  readonly versions?: ServedVersions;
  /**
   * The post-promotion shadow comparison: offered every successful call of an active version.
   * A sampled call's capture as a golden case waits for the comparison.
   */
  readonly shadow?: Pick<ShadowComparer, 'offer'>;
  /** How many recent calls are kept (input and output, for feedback): default {@link RECENT_CALLS}. */
  readonly recentCalls?: number;
}

/** Recent calls a tool runner keeps by default, for feedback on them. */
export const RECENT_CALLS = 1_000;

/** A recent call, kept for feedback. */
export interface RecentCall {
  readonly callId: string;
  readonly version: ArtifactVersion;
  readonly input: JsonValue;
  readonly ok: boolean;
  readonly output?: JsonValue;
  readonly durationMs: number;
  readonly taskId: string;
  readonly step: number;
  readonly startedAt: number;
}

/** How the tool runner asks which version serves a call. */
export interface ServedVersions {
  readonly selector: VersionSelector;
  /** Loads a version other than the active one (the registry reader). */
  readonly registry: Pick<RegistryReader, 'get'>;
  /** The key that keeps a caller on one version: by default the task id (one task sees one version); `undefined` = random per call. */
  readonly callKey?: (context: ToolCallContext) => string | undefined;
}

/** Who caused a call: the run (or direct call), its model turn, and the turn's tokens when this call is charged with them. */
export interface ToolCallContext {
  readonly taskId: string;
  readonly step: number;
  readonly signal?: AbortSignal | undefined;
  readonly turnUsage?: TokenUsage | undefined;
}

/** Runs active tool versions: compiled once per content, metered, recorded, captured and traced. */
export interface ToolRunner {
  /** Runs one call. Tool faults, and a source the sandbox no longer accepts, are results (`ok: false`), never thrown. */
  run(tool: ActiveTool, call: { readonly id: string; readonly input: JsonValue }, context: ToolCallContext): Promise<AgentToolCall>;
  /** Compiles a version, or returns the handle compiled earlier for the same content hash. */
  compile(version: Pick<ArtifactVersion, 'name' | 'source' | 'spec' | 'contentHash'>): Promise<CompiledTool>;
  /** A call this runner made recently (the last `recentCalls`), by its `callId`. */
  recall(callId: string): RecentCall | undefined;
}

/** A {@link ToolRunner}. */
export function createToolRunner(dependencies: ToolRunnerDependencies): ToolRunner {
  const { sandbox, memory, regression, tracing, background, emit, afterCall, versions, shadow } = dependencies;
  const compiled = new Map<string, Promise<CompiledTool>>();
  const recentLimit = dependencies.recentCalls ?? RECENT_CALLS;
  // Insertion order is age: the oldest call is the first key.
  const recent = new Map<string, RecentCall>();
  const remember = (entry: RecentCall): void => {
    if (recentLimit <= 0) return;
    recent.set(entry.callId, entry);
    while (recent.size > recentLimit) recent.delete(recent.keys().next().value as string);
  };

  const compile: ToolRunner['compile'] = (version) => {
    let entry = compiled.get(version.contentHash);
    if (!entry) {
      entry = sandbox.compile({
        name: version.name,
        source: version.source,
        language: version.spec?.language ?? 'ts',
        capabilities: version.spec?.capabilities ?? [],
      });
      // A failed compile is forgotten, so a later call can try again.
      entry.catch(() => compiled.delete(version.contentHash));
      compiled.set(version.contentHash, entry);
    }
    return entry;
  };

  /** The version serving this call: the active one, or the one an experiment assigns (when it loads as a tool). */
  const choose = async (tool: ActiveTool, context: ToolCallContext): Promise<{ served: ArtifactVersion; assignment: VersionAssignment | undefined }> => {
    if (versions === undefined) return { served: tool.version, assignment: undefined };
    const key = versions.callKey === undefined ? context.taskId : versions.callKey(context);
    const assignment = versions.selector.serve(tool.version.name, key);
    if (assignment === undefined || assignment.version === tool.version.version) return { served: tool.version, assignment };
    const loaded = await versions.registry.get(tool.version.name, assignment.version).catch(() => undefined);
    // A version that cannot be served (gone, not a tool, rejected by the gate or a person): the active one serves, and the call counts for no arm.
    if (loaded === undefined || loaded.kind !== 'tool' || loaded.status === 'rejected') return { served: tool.version, assignment: undefined };
    return { served: loaded, assignment };
  };

  const execute = async (tool: ActiveTool, served: ArtifactVersion, assignment: VersionAssignment | undefined, input: JsonValue, context: ToolCallContext): Promise<AgentToolCall> => {
    const { name, version } = served;
    const startedAt = Date.now();
    const inputHash = contentHash(input);
    const callId = newCallId({ tool: name, version, inputHash });
    let call: AgentToolCall;
    try {
      const handle = await compile(served);
      const result = await sandbox.run(handle, input, context.signal ? { signal: context.signal } : undefined);
      call = result.ok
        ? { callId, name, version, input, ok: true, output: result.value, durationMs: result.durationMs, step: context.step }
        : { callId, name, version, input, ok: false, error: result.error, durationMs: result.durationMs, step: context.step };
    } catch (error) {
      const failure = ToolwrightError.isInstance(error) ? { code: error.code, message: error.message } : { code: 'CRASHED', message: String(error) };
      call = { callId, name, version, input, ok: false, error: failure, durationMs: Date.now() - startedAt, step: context.step };
    }
    if (assignment !== undefined) versions?.selector.record(assignment, { success: call.ok, latencyMs: call.durationMs });
    memory.record({
      tool: name,
      version,
      startedAt,
      durationMs: call.durationMs,
      outcome: call.ok ? { ok: true } : { ok: false, error: { code: call.error?.code ?? 'UNKNOWN', message: (call.error?.message ?? '').slice(0, 4000) } },
      inputHash,
      ...(call.ok ? { outputHash: contentHash(call.output ?? null) } : {}),
      taskId: context.taskId,
      modelTurn: context.step,
      ...(context.turnUsage ? { tokens: context.turnUsage } : {}),
    });
    remember({ callId, version: served, input, ok: call.ok, ...(call.ok ? { output: call.output ?? null } : {}), durationMs: call.durationMs, taskId: context.taskId, step: context.step, startedAt });
    if (call.ok) {
      // A call the shadow comparison samples is captured after it, unless the two versions disagree.
      const output = call.output ?? null;
      const sampled = served.version === tool.version.version && shadow?.offer({ version: served, input, output, durationMs: call.durationMs, taskId: context.taskId, step: context.step }) === true;
      // Served outputs become golden cases for future rewrites; off the user's path.
      if (!sampled) background.track(regression.capture({ tool: name, version, input, result: { ok: true, value: output, durationMs: call.durationMs, logs: [] } }));
    }
    emit({ type: 'tool-called', name, version, ok: call.ok, durationMs: call.durationMs, callId });
    await afterCall?.(name);
    return call;
  };

  return {
    compile,
    recall: (callId) => recent.get(callId),
    run: async (tool, call, context) => {
      const { served, assignment } = await choose(tool, context);
      return tracing.executeTool(served, call.id, () => execute(tool, served, assignment, call.input, context));
    },
  };
}
