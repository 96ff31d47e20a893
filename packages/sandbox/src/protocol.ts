import type { SandboxFaultCode } from '@toolwright/core';
import type { OutputLimits } from './output-budget.js';

/**
 * Messages between the host and a worker process (Node IPC, JSON). Guest values never cross
 * as objects: arguments go in as JSON text, results come out as JSON text serialised inside
 * the guest, and the host parses them.
 */

/** Limits on what `console.*` may capture per run. */
export const LOG_LIMITS = { maxLines: 1_000, maxLineLength: 8_192, maxTotalLength: 256 * 1024 } as const;

/** Written to stderr by a worker before it kills itself on a catastrophic isolate error. */
export const CATASTROPHIC_MARKER = 'TOOLWRIGHT_CATASTROPHIC_ERROR:';

/** Longest error message kept from a guest, in characters. */
export const MAX_GUEST_MESSAGE_LENGTH = 2_000;

/**
 * How a compiled tool's isolate lives: `warm` keeps it loaded between runs (module state
 * persists while it stays warm); `per-run` loads the tool into a fresh isolate for every run,
 * so nothing one run leaves behind reaches the next.
 */
export type ToolIsolation = 'warm' | 'per-run';

/** What a worker needs to know, sent once after it starts. */
export interface WorkerConfig extends OutputLimits {
  readonly memoryLimitMb: number;
  /** What the warm isolates of this worker may hold together, in MiB. */
  readonly maxWorkerMemoryMb: number;
  readonly allowWebAssembly: boolean;
  readonly maxWarmTools: number;
  readonly isolatedVmModules: readonly string[];
  readonly fetch: { readonly timeoutMs: number; readonly maxResponseBytes: number; readonly maxRequests: number };
  /**
   * The file descriptor of the worker's progress record, when the host gave it one (see
   * {@link PROGRESS_RECORD_BYTES}). Set by the worker process wrapper, not by the pool.
   */
  readonly progressFd?: number;
}

/**
 * The progress record: a small file both processes hold open (the host unlinks it at once),
 * where the worker writes, before and after each case of a batch, three float64s: the job id,
 * the case's position, and {@link PROGRESS_RUNNING} or {@link PROGRESS_DONE}. When a worker
 * dies mid-batch, the host reads it to know exactly which case was running: that case gets
 * the fault, and no case that ended the worker runs again. One `pwrite` per step, no message.
 */
export const PROGRESS_RECORD_BYTES = 24;
export const PROGRESS_RUNNING = 1;
export const PROGRESS_DONE = 2;

/** What the progress record said when a worker ended. */
export interface WorkerProgress {
  readonly jobId: number;
  readonly index: number;
  readonly running: boolean;
}

/** The outcome of one guest run as a worker reports it; `json` is the result serialised inside the guest. */
export type WireResult =
  | { readonly ok: true; readonly json: string; readonly durationMs: number; readonly logs: readonly string[] }
  | {
      readonly ok: false;
      readonly code: SandboxFaultCode;
      readonly message: string;
      readonly durationMs: number;
      readonly logs: readonly string[];
      /** Set by the host's pool (never by a worker): the fault ended the worker process. */
      readonly workerEnded?: boolean;
    };

/** Why loading a module failed, as compile reports it. */
export type LoadFailure =
  | { readonly kind: 'syntax'; readonly message: string; readonly line: number }
  | { readonly kind: 'no-default-export'; readonly exported: string }
  | { readonly kind: 'fault'; readonly code: SandboxFaultCode; readonly message: string };

/** What the host sends a worker: its configuration once, then jobs (one at a time), code it asks for, cancellations. */
export type HostMessage =
  | { readonly type: 'init'; readonly config: WorkerConfig }
  | {
      readonly type: 'load';
      readonly jobId: number;
      readonly key: string;
      readonly name: string;
      readonly code: string;
      readonly timeoutMs: number;
      readonly isolation: ToolIsolation;
    }
  | {
      readonly type: 'run';
      readonly jobId: number;
      readonly key: string;
      readonly isolation: ToolIsolation;
      readonly inputs: readonly string[];
      readonly timeoutMs: number;
      readonly origins: readonly string[];
      /** Send each result as soon as it is ready, rather than in small groups. */
      readonly reportEach: boolean;
    }
  | { readonly type: 'code'; readonly jobId: number; readonly key: string; readonly name: string; readonly code: string }
  | { readonly type: 'cancel'; readonly jobId: number }
  /** The handle of `key` is gone on the host: free its isolate and its cached code. */
  | { readonly type: 'forget'; readonly key: string }
  /** Answered at once with `pong` (no isolate involved): the transport's bare round trip, for diagnostics. */
  | { readonly type: 'ping'; readonly id: number }
  | { readonly type: 'exit' };

/** One isolated-vm module the worker tried, and why it did not load. */
export interface EngineAttempt {
  readonly module: string;
  readonly reason: string;
}

/** What a worker sends the host: whether it could load isolated-vm, then progress and results of the current job. */
export type WorkerMessage =
  | { readonly type: 'ready'; readonly engine: string; readonly attempts: readonly EngineAttempt[] }
  | { readonly type: 'unavailable'; readonly attempts: readonly EngineAttempt[] }
  | { readonly type: 'loaded'; readonly jobId: number; readonly failure?: LoadFailure }
  | { readonly type: 'missing'; readonly jobId: number; readonly key: string }
  | { readonly type: 'loading'; readonly jobId: number }
  | { readonly type: 'pong'; readonly id: number }
  | { readonly type: 'results'; readonly jobId: number; readonly results: readonly { readonly index: number; readonly result: WireResult }[] };
