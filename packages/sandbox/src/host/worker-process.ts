import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxError } from '@toolwright/core';
import {
  CATASTROPHIC_MARKER,
  PROGRESS_DONE,
  PROGRESS_RECORD_BYTES,
  PROGRESS_RUNNING,
  type EngineAttempt,
  type HostMessage,
  type WorkerConfig,
  type WorkerMessage,
  type WorkerProgress,
} from '../protocol.js';

/** Flags the worker's Node needs: isolated-vm requires `--no-node-snapshot` on Node ≥ 20. */
export const WORKER_EXEC_ARGV = ['--no-node-snapshot'] as const;

const STDERR_TAIL = 8_192;
/** Environment variables passed to the worker: only what changes how guest code computes (time zone, locale). */
const PASSED_ENV = ['TZ', 'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_TIME', 'LC_NUMERIC', 'LC_COLLATE'];

/**
 * What V8 writes to stderr when an isolate runs out of memory in a way isolated-vm cannot
 * recover from (the process then aborts, or hangs when the isolate ran on the main thread).
 */
const OUT_OF_MEMORY_BANNER = /<--- Last few GCs --->|<--- JS stacktrace --->|FATAL ERROR: .*out of memory|Fatal JavaScript .*out of memory|Catastrophic out-of-memory/i;

/** True when a worker's stderr shows that it ran out of memory. */
export function looksOutOfMemory(text: string): boolean {
  return OUT_OF_MEMORY_BANNER.test(text) || /out of memory|heap limit|allocation failed/i.test(text);
}

/** How a worker process ended. */
export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The catastrophic-error message the worker wrote before it ended, if any. */
  readonly catastrophic: string | undefined;
  /** The last lines of its stderr, for messages. */
  readonly stderrTail: string;
  /** Its stderr shows it ran out of memory. */
  readonly outOfMemory: boolean;
  /** Why the host killed it, if it did. */
  readonly killedFor: KillReason | undefined;
  /** The last step its progress record shows (which case of which batch), if it has one. */
  readonly progress: WorkerProgress | undefined;
}

/** The worker's file descriptor of its progress record (stdio index 3; the IPC channel is 4). */
const PROGRESS_FD = 3;

/** Creates the progress record: opened, then unlinked at once where the platform allows (both ends keep it open). */
function openProgressRecord(): { fd: number; path: string } | undefined {
  const path = join(tmpdir(), `toolwright-sandbox-progress-${process.pid}-${randomUUID()}`);
  try {
    return { fd: openSync(path, 'w+', 0o600), path };
  } catch {
    // No writable temporary directory: batches then fall back to re-running unreported cases.
    return undefined;
  }
}

function readProgress(fd: number): WorkerProgress | undefined {
  try {
    const record = new Float64Array(3);
    const read = readSync(fd, record, 0, PROGRESS_RECORD_BYTES, 0);
    if (read !== PROGRESS_RECORD_BYTES) return undefined;
    const [jobId = 0, index = -1, phase = 0] = record;
    if (!Number.isInteger(jobId) || !Number.isInteger(index) || index < 0 || (phase !== PROGRESS_RUNNING && phase !== PROGRESS_DONE)) return undefined;
    return { jobId, index, running: phase === PROGRESS_RUNNING };
  } catch {
    return undefined;
  }
}

/** Why the host kills a worker: a missed deadline, an out-of-memory banner on its stderr, a malformed message, or dispose. */
export type KillReason = 'deadline' | 'memory' | 'protocol' | 'dispose';

/** What a {@link WorkerProcess} tells its owner. */
export interface WorkerProcessEvents {
  message(worker: WorkerProcess, message: WorkerMessage): void;
  exit(worker: WorkerProcess, exit: WorkerExit): void;
}

function unavailableError(attempts: readonly EngineAttempt[]): SandboxError {
  const tried = attempts.map((attempt) => `${attempt.module}: ${attempt.reason}`).join('; ');
  return new SandboxError(
    'SANDBOX_UNAVAILABLE',
    `No isolated-vm could be loaded on Node ${process.version} (tried ${tried}). Install isolated-vm 5.0.x on Node 20–21 or 6.2.x on Node ≥ 22, and let it build (pnpm.onlyBuiltDependencies).`,
    { details: { node: process.version, attempts: attempts.map((attempt) => ({ ...attempt })) } },
  );
}

/**
 * One supervised worker process. It starts, loads isolated-vm, and reports `ready` (with the
 * engine it loaded) or fails with `SANDBOX_UNAVAILABLE`. The owner sends it jobs and hears
 * every message and its exit; `kill` ends it at once.
 */
export class WorkerProcess {
  /** Resolves with the engine's name once the worker can take jobs. */
  readonly ready: Promise<string>;
  private readonly child: ChildProcess;
  private stderrTail = '';
  private killedFor: KillReason | undefined;
  private exited = false;
  private referenced = true;
  private readonly closed: Promise<void>;
  private progressFd: number | undefined;
  private readonly pings = new Map<number, () => void>();
  private nextPing = 1;

  constructor(scriptPath: string, config: WorkerConfig, events: WorkerProcessEvents) {
    const env: NodeJS.ProcessEnv = {};
    for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
    const progress = openProgressRecord();
    try {
      this.child = fork(scriptPath, [], {
        execArgv: [...WORKER_EXEC_ARGV],
        stdio: progress === undefined ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'ignore', 'pipe', progress.fd, 'ipc'],
        serialization: 'json',
        env,
      });
    } catch (error) {
      if (progress !== undefined) closeSync(progress.fd);
      throw error;
    } finally {
      if (progress !== undefined) {
        try {
          unlinkSync(progress.path);
        } catch {
          // Windows keeps an open file; it is removed when it closes (below) or left in tmp.
        }
      }
    }
    this.progressFd = progress?.fd;
    let resolveReady!: (engine: string) => void;
    let rejectReady!: (error: SandboxError) => void;
    this.ready = new Promise<string>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    // The owner always awaits `ready`; this keeps an early failure from counting as unhandled.
    this.ready.catch(() => undefined);
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
      // isolated-vm's onCatastrophicError is unreliable (an isolate that ran out of memory on
      // the worker's main thread hangs it), but V8 always prints its banner first: act on that.
      if (OUT_OF_MEMORY_BANNER.test(this.stderrTail)) this.kill('memory');
    });
    this.child.on('message', (raw) => {
      // The worker runs guest code; if that ever broke it, what it says must not break the host.
      try {
        const message = raw as WorkerMessage;
        if (message.type === 'ready') resolveReady(String(message.engine));
        else if (message.type === 'pong') {
          const answer = this.pings.get(message.id);
          this.pings.delete(message.id);
          answer?.();
        }
        else if (message.type === 'unavailable') {
          rejectReady(unavailableError(message.attempts));
          this.kill('dispose');
        } else events.message(this, message);
      } catch {
        this.kill('protocol');
      }
    });
    this.child.on('error', () => {
      // Spawn and IPC errors end in 'close' too; that is where they are handled.
    });
    this.closed = new Promise<void>((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exited = true;
        const catastrophicLine = this.stderrTail.split('\n').find((line) => line.startsWith(CATASTROPHIC_MARKER));
        const exit: WorkerExit = {
          code,
          signal,
          catastrophic: catastrophicLine?.slice(CATASTROPHIC_MARKER.length).trim(),
          stderrTail: this.stderrTail.trim().split('\n').slice(-5).join('\n'),
          outOfMemory: looksOutOfMemory(this.stderrTail),
          killedFor: this.killedFor,
          progress: this.progressFd === undefined ? undefined : readProgress(this.progressFd),
        };
        if (this.progressFd !== undefined) {
          closeSync(this.progressFd);
          this.progressFd = undefined;
          if (progress !== undefined) {
            try {
              unlinkSync(progress.path);
            } catch {
              // Already unlinked.
            }
          }
        }
        rejectReady(
          new SandboxError(
            'SANDBOX_UNAVAILABLE',
            `The sandbox worker process ended before it was ready (code ${String(code)}, signal ${String(signal)})${exit.stderrTail ? `: ${exit.stderrTail}` : ''}.`,
          ),
        );
        for (const answer of this.pings.values()) answer();
        this.pings.clear();
        events.exit(this, exit);
        resolve();
      });
    });
    this.send({ type: 'init', config: progress === undefined ? config : { ...config, progressFd: PROGRESS_FD } });
  }

  /** The worker's process id (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True once the process has ended. */
  get hasExited(): boolean {
    return this.exited;
  }

  /** Sends a message; a worker that has already gone ignores it (its exit is reported separately). */
  send(message: HostMessage): void {
    if (this.exited || !this.child.connected) return;
    try {
      this.child.send(message);
    } catch {
      // The channel closed between the check and the send; 'close' follows.
    }
  }

  /**
   * Sends a bare message the worker answers at once, outside any job, and resolves with the
   * round trip in milliseconds (`undefined` when the worker is gone before it answers).
   */
  ping(): Promise<number | undefined> {
    if (this.exited) return Promise.resolve(undefined);
    const id = this.nextPing++;
    const started = performance.now();
    return new Promise((resolve) => {
      this.pings.set(id, () => resolve(this.exited ? undefined : performance.now() - started));
      this.send({ type: 'ping', id });
    });
  }

  /**
   * Whether this worker keeps the host's event loop alive. An idle sandbox should not stop
   * a program from exiting; a busy one must.
   */
  setReferenced(referenced: boolean): void {
    if (this.exited || this.referenced === referenced) return;
    this.referenced = referenced;
    const handles = [this.child, this.child.channel, this.child.stderr] as ({ ref?: () => void; unref?: () => void } | null | undefined)[];
    for (const handle of handles) {
      if (referenced) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  /** Ends the process at once (SIGKILL). */
  kill(reason: KillReason): void {
    if (this.exited) return;
    this.killedFor ??= reason;
    this.child.kill('SIGKILL');
  }

  /** Asks the worker to free its isolates and exit; kills it if it has not within `graceMs`. */
  async shutdown(graceMs: number): Promise<void> {
    if (this.exited) return;
    this.killedFor ??= 'dispose';
    this.setReferenced(true);
    this.send({ type: 'exit' });
    const timer = setTimeout(() => this.kill('dispose'), graceMs);
    await this.closed;
    clearTimeout(timer);
  }
}
