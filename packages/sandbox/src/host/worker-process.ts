import { fork, type ChildProcess } from 'node:child_process';
import { SandboxError } from '@toolwright/core';
import { CATASTROPHIC_MARKER, type EngineAttempt, type HostMessage, type WorkerConfig, type WorkerMessage } from '../protocol.js';

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

  constructor(scriptPath: string, config: WorkerConfig, events: WorkerProcessEvents) {
    const env: NodeJS.ProcessEnv = {};
    for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
    this.child = fork(scriptPath, [], {
      execArgv: [...WORKER_EXEC_ARGV],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      env,
    });
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
        };
        rejectReady(
          new SandboxError(
            'SANDBOX_UNAVAILABLE',
            `The sandbox worker process ended before it was ready (code ${String(code)}, signal ${String(signal)})${exit.stderrTail ? `: ${exit.stderrTail}` : ''}.`,
          ),
        );
        events.exit(this, exit);
        resolve();
      });
    });
    this.send({ type: 'init', config });
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
