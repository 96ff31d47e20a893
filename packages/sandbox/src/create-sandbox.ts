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
import { prepareSource } from './compile/prepare-source.js';
import { serializeInput } from './host/serialize-input.js';
import { WorkerPool, type PoolStats, type RunItem } from './host/worker-pool.js';
import { workerScriptPath } from './host/worker-path.js';
import { runOptionsSchema, sandboxOptionsSchema, type ResolvedSandboxOptions, type SandboxOptions } from './options.js';
import type { LoadFailure, WireResult, WorkerConfig } from './protocol.js';

/** A `Sandbox` backed by isolated-vm in supervised worker processes. */
export interface IsolatedSandbox extends Sandbox {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<ResolvedSandboxOptions>;
  /** Worker processes, their ids, how many were replaced after a crash or missed deadline, and the engine loaded. */
  stats(): PoolStats;
}

const compileRequestSchema = z.object({
  name: toolNameSchema,
  source: z.string(),
  language: toolLanguageSchema.optional(),
  capabilities: z.array(capabilitySchema).max(50).optional(),
});

/** What the sandbox keeps about a tool it compiled; the `CompiledTool` handle is only a key to it. */
interface ToolRecord {
  readonly key: string;
  readonly name: string;
  readonly code: string;
  readonly origins: readonly string[];
}

const FAULT_CODES = new Set<string>(['TIMEOUT', 'MEMORY_LIMIT', 'THROWN', 'INVALID_INPUT', 'INVALID_OUTPUT', 'OUTPUT_TOO_LARGE', 'CAPABILITY_DENIED', 'CRASHED']);

/**
 * A worker's report as a `RunResult`. The worker runs guest code, so its report is checked
 * rather than trusted: shape, code, output size, and JSON that parses.
 */
function toRunResult(result: WireResult, maxOutputBytes: number): RunResult {
  const durationMs = typeof result.durationMs === 'number' && Number.isFinite(result.durationMs) ? result.durationMs : 0;
  const logs = Array.isArray(result.logs) ? result.logs.filter((line): line is string => typeof line === 'string') : [];
  if (!result.ok) {
    if (!FAULT_CODES.has(result.code) || typeof result.message !== 'string') {
      return { ok: false, error: { code: 'CRASHED', message: 'the worker process sent a malformed report' }, durationMs, logs };
    }
    return { ok: false, error: { code: result.code, message: result.message }, durationMs, logs };
  }
  if (typeof result.json !== 'string') return { ok: false, error: { code: 'CRASHED', message: 'the worker process sent a malformed report' }, durationMs, logs };
  if (Buffer.byteLength(result.json, 'utf8') > maxOutputBytes) {
    return { ok: false, error: { code: 'OUTPUT_TOO_LARGE', message: `the result is over the ${maxOutputBytes}-byte limit` }, durationMs, logs };
  }
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
  private readonly grantedOrigins: ReadonlySet<string>;
  private disposed = false;

  constructor(options: ResolvedSandboxOptions) {
    this.options = Object.freeze(options);
    this.grantedOrigins = new Set(options.capabilities.fetch?.allow ?? []);
    const fetch = options.capabilities.fetch;
    const config: WorkerConfig = {
      memoryLimitMb: options.memoryLimitMb,
      maxOutputBytes: options.maxOutputBytes,
      allowWebAssembly: options.allowWebAssembly,
      maxWarmTools: options.maxWarmTools,
      isolatedVmModules: options.isolatedVmModules,
      fetch: { timeoutMs: fetch?.timeoutMs ?? 5_000, maxResponseBytes: fetch?.maxResponseBytes ?? 1_000_000, maxRequests: fetch?.maxRequests ?? 20 },
    };
    this.pool = new WorkerPool(workerScriptPath(), config, options.workers);
  }

  async compile(request: CompileRequest): Promise<CompiledTool> {
    this.assertLive();
    const parsed = parseOrThrow(compileRequestSchema, request, 'compile request');
    const capabilities = (parsed.capabilities ?? []) as Capability[];
    const origins = this.checkGrant(parsed.name, capabilities);
    const prepared = prepareSource(parsed.name, parsed.source, parsed.language ?? 'ts', {
      maxSourceLength: this.options.maxSourceLength,
      allowWebAssembly: this.options.allowWebAssembly,
    });
    const key = `${parsed.name}@${prepared.codeHash}`;
    const failure = await new Promise<LoadFailure | undefined>((resolve, reject) => {
      this.pool.submit({ kind: 'load', key, name: parsed.name, code: prepared.code, timeoutMs: this.options.timeoutMs, resolve, reject });
    });
    if (failure !== undefined) throw loadError(parsed.name, failure, prepared.defaultExportLine);
    const tool: CompiledTool = Object.freeze({
      name: parsed.name,
      codeHash: prepared.codeHash,
      capabilities: Object.freeze(capabilities.map((capability) => Object.freeze(structuredClone(capability)))),
    });
    this.tools.set(tool, { key, name: parsed.name, code: prepared.code, origins });
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
    const results: (RunResult | undefined)[] = new Array<RunResult | undefined>(inputs.length).fill(undefined);
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
          timeoutMs,
          items,
          reportEach: false,
          signal,
          onResult: (index, result) => {
            if (results[index] !== undefined) return;
            results[index] = toRunResult(result, this.options.maxOutputBytes);
            remaining -= 1;
            if (remaining === 0) resolve();
          },
          reject,
        });
      });
    }
    return results.map((result) => {
      if (result === undefined) throw new Error('unreachable: every input has a result');
      return result;
    });
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
