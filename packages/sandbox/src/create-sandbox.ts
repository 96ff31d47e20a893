import {
  capabilitySchema,
  parseOrThrow,
  SandboxError,
  toolLanguageSchema,
  toolNameSchema,
  ValidationError,
  type Capability,
  type CompiledTool,
  type CompileRequest,
  type JsonValue,
  type RunOptions,
  type RunResult,
  type Sandbox,
} from '@toolwright/core';
import { z } from 'zod';
import { sharedSourcePreparer } from './compile/prepare-thread.js';
import { isStackExhaustion, MAX_SYNTAX_DEPTH, STATIC_GATE_RULES } from './compile/static-gate.js';
import { serializeInput } from './host/serialize-input.js';
import { toolIdentity, WorkerPool, type PoolStats, type RunItem } from './host/worker-pool.js';
import { workerScriptPath } from './host/worker-path.js';
import { runOptionsSchema, sandboxOptionsSchema, type ResolvedSandboxOptions, type SandboxOptions } from './options.js';
import { OutputBudget, type OutputLimits } from './output-budget.js';
import type { LoadFailure, ToolIsolation, WireResult, WorkerConfig } from './protocol.js';

/** What `compile` of this sandbox accepts: core's `CompileRequest` (with its `isolation`). Kept as a name for existing imports. */
export type IsolatedCompileRequest = CompileRequest;

/** A `Sandbox` backed by isolated-vm in supervised worker processes. */
export interface IsolatedSandbox extends Sandbox {
  /**
   * Compiles a tool. Every call gives a handle of its own, with an isolate of its own: two
   * handles never share state, even for the same name, source and capabilities.
   */
  compile(request: IsolatedCompileRequest): Promise<CompiledTool>;
  /** The options in force, defaults filled in. */
  readonly options: Readonly<ResolvedSandboxOptions>;
  /** Worker processes, their ids, how many were replaced after a crash or missed deadline, and the engine loaded. */
  stats(): PoolStats;
  /**
   * The bare round trip, in milliseconds, of one message to a worker process that is ready and
   * idle and back, with no isolate involved: the floor under every `run` (a diagnostic, and
   * the denominator of the transport benchmark). `undefined` when no worker is ready and idle
   * (none started yet, or all busy). Throws `SANDBOX_DISPOSED` after `dispose()`.
   */
  ping(): Promise<number | undefined>;
}

const compileRequestSchema = z.object({
  name: toolNameSchema,
  source: z.string(),
  language: toolLanguageSchema.optional(),
  capabilities: z.array(capabilitySchema).max(50).optional(),
  isolation: z.enum(['warm', 'per-run']).optional(),
});

/** What the sandbox keeps about a tool it compiled; the `CompiledTool` handle is only a key to it. */
interface ToolRecord {
  readonly key: string;
  readonly name: string;
  readonly code: string;
  readonly origins: readonly string[];
  readonly isolation: ToolIsolation;
}

const FAULT_CODES = new Set<string>(['TIMEOUT', 'MEMORY_LIMIT', 'THROWN', 'INVALID_INPUT', 'INVALID_OUTPUT', 'OUTPUT_TOO_LARGE', 'CAPABILITY_DENIED', 'CRASHED']);

/**
 * A worker's report as a `RunResult`. The worker runs guest code, so its report is checked
 * rather than trusted: shape, code, output size, and JSON that parses.
 */
function toRunResult(result: WireResult, budget: OutputBudget): RunResult {
  const durationMs = typeof result.durationMs === 'number' && Number.isFinite(result.durationMs) ? result.durationMs : 0;
  const logs = budget.admitLogs(Array.isArray(result.logs) ? result.logs.filter((line): line is string => typeof line === 'string') : []);
  if (!result.ok) {
    if (!FAULT_CODES.has(result.code) || typeof result.message !== 'string') {
      return { ok: false, error: { code: 'CRASHED', message: 'the worker process sent a malformed report' }, durationMs, logs };
    }
    return { ok: false, error: { code: result.code, message: result.message }, durationMs, logs };
  }
  if (typeof result.json !== 'string') return { ok: false, error: { code: 'CRASHED', message: 'the worker process sent a malformed report' }, durationMs, logs };
  // Size and node count before parsing: a parsed result of tiny values takes some twenty
  // times its text in heap, and a batch's results together must not take the host down.
  const refusal = budget.admit(result.json);
  if (refusal !== undefined) return { ok: false, error: { code: 'OUTPUT_TOO_LARGE', message: refusal.message }, durationMs, logs };
  let value: JsonValue;
  try {
    // The text was serialised inside the guest; parsing it here creates plain data only
    // (a "__proto__" key becomes an own data property, never a prototype).
    value = JSON.parse(result.json) as JsonValue;
  } catch {
    return { ok: false, error: { code: 'INVALID_OUTPUT', message: 'the tool produced a result that is not valid JSON' }, durationMs, logs };
  }
  return { ok: true, value, durationMs, logs };
}

function loadError(name: string, failure: LoadFailure, defaultExportLine: number): SandboxError {
  switch (failure.kind) {
    case 'syntax':
      if (isStackExhaustion(failure.message)) {
        return new SandboxError(
          'SANDBOX_STATIC_GATE',
          `Tool "${name}" nests too deeply for the isolate to compile it (line ${failure.line}: ${failure.message}). Rule max-nesting-depth forbids ${STATIC_GATE_RULES['max-nesting-depth']}; split it into smaller functions or named intermediate values (the gate's own limit is ${MAX_SYNTAX_DEPTH} levels).`,
          { details: { line: failure.line, rule: 'max-nesting-depth', violations: [{ rule: 'max-nesting-depth', line: failure.line, column: 0 }] } },
        );
      }
      return new SandboxError('SANDBOX_SYNTAX_ERROR', `Tool "${name}" does not compile in the isolate at line ${failure.line}: ${failure.message}. Fix the syntax and compile again.`, {
        details: { line: failure.line, rule: 'syntax' },
      });
    case 'no-default-export':
      return new SandboxError(
        'SANDBOX_NO_DEFAULT_EXPORT',
        `The default export of tool "${name}" is ${failure.exported === 'undefined' ? 'undefined' : `a ${failure.exported}`}, not a function. Export the tool itself: \`export default (input) => …\`.`,
        { details: { line: defaultExportLine, rule: 'default-export', exported: failure.exported } },
      );
    case 'fault':
      return new SandboxError('SANDBOX_LOAD_FAILED', `Tool "${name}" could not be loaded: ${failure.message}. Keep top-level code to declarations; do the work inside the exported function.`, {
        details: { reason: failure.code, rule: 'load' },
      });
  }
}

class IsolatedVmSandbox implements IsolatedSandbox {
  readonly options: Readonly<ResolvedSandboxOptions>;
  private readonly tools = new WeakMap<CompiledTool, ToolRecord>();
  private readonly pool: WorkerPool;
  /** Transpiles and gates sources in a thread (shared by the process's sandboxes), off this event loop. */
  private readonly preparer = sharedSourcePreparer();
  private readonly grantedOrigins: ReadonlySet<string>;
  private readonly outputLimits: OutputLimits;
  /** Makes every compile's key unique: two handles never share an isolate. */
  private compiles = 0;
  /** Circuit breakers of tools that ended their worker, by `name@codeHash`. */
  private readonly breakers = new Map<string, { crashes: number; openUntil: number }>();
  /** When a handle is collected, its workers free its isolate and code. */
  private readonly handles = new FinalizationRegistry<string>((key) => this.pool.forget(key));
  private disposed = false;

  constructor(options: ResolvedSandboxOptions) {
    this.options = Object.freeze(options);
    this.grantedOrigins = new Set(options.capabilities.fetch?.allow ?? []);
    const fetch = options.capabilities.fetch;
    this.outputLimits = {
      maxOutputBytes: options.maxOutputBytes,
      maxOutputNodes: options.maxOutputNodes,
      maxBatchOutputBytes: options.maxBatchOutputBytes,
      maxBatchOutputNodes: options.maxBatchOutputNodes,
    };
    const config: WorkerConfig = {
      ...this.outputLimits,
      memoryLimitMb: options.memoryLimitMb,
      maxWorkerMemoryMb: options.maxWorkerMemoryMb,
      allowWebAssembly: options.allowWebAssembly,
      maxWarmTools: options.maxWarmTools,
      isolatedVmModules: options.isolatedVmModules,
      fetch: { timeoutMs: fetch?.timeoutMs ?? 5_000, maxResponseBytes: fetch?.maxResponseBytes ?? 1_000_000, maxRequests: fetch?.maxRequests ?? 20 },
    };
    this.pool = new WorkerPool(workerScriptPath(), config, options.workers);
  }

  async compile(request: IsolatedCompileRequest): Promise<CompiledTool> {
    this.assertLive();
    const parsed = parseOrThrow(compileRequestSchema, request, 'compile request');
    const capabilities = (parsed.capabilities ?? []) as Capability[];
    const origins = this.checkGrant(parsed.name, capabilities);
    const prepared = await this.preparer.prepare(parsed.name, parsed.source, parsed.language ?? 'ts', {
      maxSourceLength: this.options.maxSourceLength,
      allowWebAssembly: this.options.allowWebAssembly,
    });
    this.assertLive();
    const isolation = parsed.isolation ?? 'warm';
    // Everything that tells handles apart is in the key, and a serial number besides: two
    // tenants compiling the same name and source, or a tool compiled with and without a
    // capability, never share an isolate (nor its module state).
    this.compiles += 1;
    const key = `${parsed.name}@${prepared.codeHash}|${[...origins].sort().join(',')}|${isolation}#${this.compiles}`;
    const failure = await new Promise<LoadFailure | undefined>((resolve, reject) => {
      this.pool.submit({ kind: 'load', key, name: parsed.name, code: prepared.code, timeoutMs: this.options.timeoutMs, isolation, resolve, reject });
    });
    if (failure !== undefined) {
      // Nothing will hold this key: let the workers (and the pool's short names) drop it now.
      this.pool.forget(key);
      throw loadError(parsed.name, failure, prepared.defaultExportLine);
    }
    const tool: CompiledTool = Object.freeze({
      name: parsed.name,
      codeHash: prepared.codeHash,
      capabilities: Object.freeze(capabilities.map((capability) => Object.freeze(structuredClone(capability)))),
    });
    this.tools.set(tool, { key, name: parsed.name, code: prepared.code, origins, isolation });
    this.handles.register(tool, key);
    return tool;
  }

  async run(tool: CompiledTool, input: JsonValue, options?: RunOptions): Promise<RunResult> {
    const [result] = await this.execute(tool, [input], options);
    if (result === undefined) throw new Error('unreachable: one input gives one result');
    return result;
  }

  async runMany(tool: CompiledTool, inputs: readonly JsonValue[], options?: RunOptions): Promise<RunResult[]> {
    if (!Array.isArray(inputs)) throw new ValidationError('INVALID_ARGUMENT', 'runMany(tool, inputs): inputs must be an array of JSON values.');
    return this.execute(tool, inputs, options);
  }

  stats(): PoolStats {
    return this.pool.stats();
  }

  async ping(): Promise<number | undefined> {
    this.assertLive();
    return this.pool.ping();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.pool.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new SandboxError('SANDBOX_DISPOSED', 'This sandbox was disposed; create a new one with createSandbox().');
  }

  /** The origins a tool may fetch: every one it requests must be granted here. */
  private checkGrant(name: string, capabilities: readonly Capability[]): string[] {
    const origins = new Set<string>();
    for (const capability of capabilities) {
      for (const origin of capability.origins) {
        if (!this.grantedOrigins.has(origin)) {
          throw new SandboxError(
            'SANDBOX_CAPABILITY_NOT_GRANTED',
            `Tool "${name}" requests fetch to ${origin}, which this sandbox does not grant${this.grantedOrigins.size === 0 ? ' (it grants no fetch at all)' : ` (it grants ${[...this.grantedOrigins].join(', ')})`}. Grant it in createSandbox({ capabilities: { fetch: { allow: [...] } } }) or drop it from the tool.`,
            { details: { capability: capability.kind, origin, rule: 'capability-grant' } },
          );
        }
        origins.add(origin);
      }
    }
    return [...origins];
  }

  private async execute(tool: CompiledTool, inputs: readonly JsonValue[], options: RunOptions | undefined): Promise<RunResult[]> {
    this.assertLive();
    const record = typeof tool === 'object' && tool !== null ? this.tools.get(tool) : undefined;
    if (record === undefined) {
      throw new ValidationError('INVALID_ARGUMENT', 'run(tool, …): the tool was not compiled by this sandbox; pass the handle its compile() returned.');
    }
    const { timeoutMs = this.options.timeoutMs, signal } = options === undefined ? {} : parseOrThrow(runOptionsSchema, options, 'run options');
    const open = this.openCircuit(record);
    if (open !== undefined) return inputs.map(() => ({ ok: false, error: { code: 'CRASHED', message: open }, durationMs: 0, logs: [] }));
    let endedWorker = false;
    const results: (RunResult | undefined)[] = new Array<RunResult | undefined>(inputs.length).fill(undefined);
    const budget = new OutputBudget(this.outputLimits, record.name);
    const items: RunItem[] = [];
    inputs.forEach((input, index) => {
      const serialized = serializeInput(input, this.options.maxInputBytes);
      if (serialized.ok) items.push({ index, json: serialized.json });
      else {
        results[index] = {
          ok: false,
          error: { code: 'INVALID_INPUT', message: `Tool "${record.name}" was not run: ${serialized.message}.` },
          durationMs: 0,
          logs: [],
        };
      }
    });
    if (items.length > 0) {
      await new Promise<void>((resolve, reject) => {
        let remaining = items.length;
        this.pool.submit({
          kind: 'run',
          key: record.key,
          name: record.name,
          code: record.code,
          origins: record.origins,
          isolation: record.isolation,
          timeoutMs,
          items,
          reportEach: false,
          signal,
          onResult: (index, result) => {
            if (results[index] !== undefined) return;
            if (!result.ok && result.workerEnded === true) endedWorker = true;
            results[index] = toRunResult(result, budget);
            remaining -= 1;
            if (remaining === 0) resolve();
          },
          reject,
        });
      });
    }
    if (items.length > 0) this.countCall(record, endedWorker);
    return results.map((result) => {
      if (result === undefined) throw new Error('unreachable: every input has a result');
      return result;
    });
  }

  /** Why a tool's calls are refused without running (its circuit is open), or `undefined`. */
  private openCircuit(record: ToolRecord): string | undefined {
    const settings = this.options.circuitBreaker;
    if (settings === false) return undefined;
    const breaker = this.breakers.get(toolIdentity(record.key));
    if (breaker === undefined || breaker.crashes < settings.crashes) return undefined;
    const now = Date.now();
    if (now >= breaker.openUntil) {
      // Half-open: this call runs; ending its worker again opens the circuit for another cool-down.
      breaker.openUntil = now + settings.coolDownMs;
      return undefined;
    }
    return `tool "${record.name}" ended its worker process on its last ${breaker.crashes} calls, so it was not run (circuit open for ${Math.ceil((breaker.openUntil - now) / 1000)} s more: each crash costs a worker restart). Fix the tool (a rewrite gets a circuit of its own), or call it again after the cool-down`;
  }

  /** Counts a call against its tool's circuit: one that ended a worker adds up, any other closes it. */
  private countCall(record: ToolRecord, endedWorker: boolean): void {
    const settings = this.options.circuitBreaker;
    if (settings === false) return;
    const identity = toolIdentity(record.key);
    if (!endedWorker) {
      this.breakers.delete(identity);
      return;
    }
    const breaker = this.breakers.get(identity) ?? { crashes: 0, openUntil: 0 };
    breaker.crashes += 1;
    if (breaker.crashes === settings.crashes) breaker.openUntil = Date.now() + settings.coolDownMs;
    this.breakers.delete(identity);
    this.breakers.set(identity, breaker);
    // Bounded: the least recently crashed tools are forgotten first.
    if (this.breakers.size > 1000) this.breakers.delete(this.breakers.keys().next().value as string);
  }
}

/**
 * Creates a sandbox that runs agent-written tools in isolated-vm isolates inside supervised
 * worker processes, with hard limits (memory, wall-clock time, argument, output and source
 * size) and capabilities granted per sandbox and requested per tool (deny by default).
 *
 * Worker processes start on first use and do not keep an idle program alive; call
 * `dispose()` to end them and free every isolate.
 *
 * @example
 * ```ts
 * const sandbox = createSandbox({ timeoutMs: 500, capabilities: { fetch: { allow: ['http://127.0.0.1:8080'] } } });
 * const tool = await sandbox.compile({
 *   name: 'total_fares',
 *   source: 'export default ({ fares }: { fares: number[] }) => fares.reduce((a, b) => a + b, 0);',
 * });
 * const result = await sandbox.run(tool, { fares: [229.92, 360.67] });
 * if (result.ok) console.log(result.value); // 590.59
 * await sandbox.dispose();
 * ```
 */
export function createSandbox(options: SandboxOptions = {}): IsolatedSandbox {
  return new IsolatedVmSandbox(parseOrThrow(sandboxOptionsSchema, options, 'sandbox options'));
}
