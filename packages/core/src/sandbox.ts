import type { Capability, ToolLanguage } from './artifact.js';
import type { JsonValue } from './json.js';

/**
 * Why a guest run failed. Guest faults are results, never thrown:
 * - `TIMEOUT`: the run passed its wall-clock deadline (sync or async work).
 * - `MEMORY_LIMIT`: the isolate ran out of its memory budget.
 * - `THROWN`: the tool threw or rejected.
 * - `INVALID_INPUT`: the argument is not JSON-serialisable or too large.
 * - `INVALID_OUTPUT`: the result is not JSON-serialisable (cyclic, a function, ...).
 * - `OUTPUT_TOO_LARGE`: the serialised result exceeds `maxOutputBytes`.
 * - `CAPABILITY_DENIED`: the tool used a capability it was not granted.
 * - `CRASHED`: the isolate or its worker process died.
 */
export type SandboxFaultCode =
  | 'TIMEOUT'
  | 'MEMORY_LIMIT'
  | 'THROWN'
  | 'INVALID_INPUT'
  | 'INVALID_OUTPUT'
  | 'OUTPUT_TOO_LARGE'
  | 'CAPABILITY_DENIED'
  | 'CRASHED';

/** The outcome of one run. `logs` holds what the tool wrote with `console.log`. */
export type RunResult =
  | { readonly ok: true; readonly value: JsonValue; readonly durationMs: number; readonly logs: readonly string[] }
  | {
      readonly ok: false;
      readonly error: { readonly code: SandboxFaultCode; readonly message: string };
      readonly durationMs: number;
      readonly logs: readonly string[];
    };

/** What `compile` needs. */
export interface CompileRequest {
  /** The tool's name, used in messages and logs. */
  readonly name: string;
  /** An ES module whose default export is the tool. */
  readonly source: string;
  /** Defaults to `ts` (types are stripped; plain JavaScript is valid TypeScript). */
  readonly language?: ToolLanguage;
  /** What the tool requests; each must be granted by the sandbox or `compile` throws. */
  readonly capabilities?: readonly Capability[];
  /**
   * `warm` (default): module state lives as long as the handle's isolate stays loaded, as a
   * served tool's does. `per-run`: every run starts in a fresh isolate — for proving a
   * candidate, so no state carries from one case to the next or into production.
   */
  readonly isolation?: 'warm' | 'per-run';
}

/** A compiled tool: an opaque handle, valid for the sandbox that made it. */
export interface CompiledTool {
  readonly name: string;
  /** SHA-256 of the code that runs (after transpiling). */
  readonly codeHash: string;
  readonly capabilities: readonly Capability[];
}

/** Per-run overrides. */
export interface RunOptions {
  /** Wall-clock limit for this run, async work and capability calls included. */
  readonly timeoutMs?: number;
  /** Stops the run early; it ends as `TIMEOUT`. */
  readonly signal?: AbortSignal;
}

/**
 * Runs untrusted tool code. `compile` throws a `SandboxError` for code it refuses
 * (syntax, static gate, no default export, too large); `run` never throws for anything
 * the guest does.
 *
 * Besides the language itself, guest code may use `console.log` (captured into `logs`), the
 * capabilities it was granted (`fetch` for a fetch grant), and guest timers `setTimeout` /
 * `clearTimeout`, whose waits count against the run's deadline: tools need them to back off
 * between retries and to put a timeout around a capability call (the transform rewriter of
 * `@toolwright/rewriter` writes both).
 *
 * @example
 * ```ts
 * const tool = await sandbox.compile({ name: 'total_fares', source });
 * const result = await sandbox.run(tool, { fares: [229.92, 360.67] });
 * if (result.ok) console.log(result.value);
 * else console.log(result.error.code, result.error.message);
 * ```
 */
export interface Sandbox {
  compile(request: CompileRequest): Promise<CompiledTool>;
  run(tool: CompiledTool, input: JsonValue, options?: RunOptions): Promise<RunResult>;
  /** Runs the tool on each input (batched, for regression runs); results in input order. */
  runMany(tool: CompiledTool, inputs: readonly JsonValue[], options?: RunOptions): Promise<RunResult[]>;
  /** Frees every isolate and worker; later calls throw `SANDBOX_DISPOSED`. */
  dispose(): Promise<void>;
}
