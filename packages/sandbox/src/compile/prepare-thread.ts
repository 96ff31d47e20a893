import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SandboxError, type CodeOf, type ToolLanguage } from '@toolwright/core';
import { prepareSource, type PreparedSource, type PrepareSourceOptions } from './prepare-source.js';

/** One source to prepare, as the host sends it to the thread. */
export interface PrepareRequest {
  readonly id: number;
  readonly name: string;
  readonly source: string;
  readonly language: ToolLanguage;
  readonly options: PrepareSourceOptions;
}

/** The thread's answer: the prepared source, the refusal (a `SandboxError`'s parts), or a bug. */
export type PrepareReply =
  | { readonly id: number; readonly ok: true; readonly prepared: PreparedSource }
  | { readonly id: number; readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly details: Record<string, unknown> | undefined } }
  | { readonly id: number; readonly ok: false; readonly unexpected: string };

/** How long the thread may take over one source before it is stopped and the source refused. */
export const PREPARE_TIME_LIMIT_MS = 10_000;

interface Waiting {
  readonly request: PrepareRequest;
  resolve(prepared: PreparedSource): void;
  reject(error: Error): void;
}

function threadScriptPath(): string | undefined {
  const candidates = [new URL('./prepare-worker.js', import.meta.url), new URL('../../dist/prepare-worker.js', import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * Prepares sources in a worker thread, one at a time, so that parsing a large source never
 * blocks the host's event loop; a source that keeps the thread busy past
 * {@link PREPARE_TIME_LIMIT_MS} is refused and the thread replaced. Without the built thread
 * script (an unusual bundling), sources are prepared in place. One is shared by every sandbox
 * of the process ({@link sharedSourcePreparer}); its idle thread keeps no program alive.
 */
export class SourcePreparer {
  private thread: Worker | undefined;
  private readonly queue: Waiting[] = [];
  private current: (Waiting & { timer: NodeJS.Timeout }) | undefined;
  private nextId = 1;
  private readonly scriptPath = threadScriptPath();

  prepare(name: string, source: string, language: ToolLanguage, options: PrepareSourceOptions): Promise<PreparedSource> {
    if (this.scriptPath === undefined) return Promise.resolve().then(() => prepareSource(name, source, language, options));
    return new Promise<PreparedSource>((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, name, source, language, options }, resolve, reject });
      this.pump();
    });
  }

  /** Ends the thread; sources still waiting are refused with `SANDBOX_DISPOSED`. */
  async dispose(): Promise<void> {
    const error = new SandboxError('SANDBOX_DISPOSED', 'The sandbox was disposed while this source was being checked.');
    for (const waiting of this.queue.splice(0)) waiting.reject(error);
    if (this.current !== undefined) {
      clearTimeout(this.current.timer);
      this.current.reject(error);
      this.current = undefined;
    }
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
  }

  private pump(): void {
    if (this.current !== undefined) return;
    const next = this.queue.shift();
    if (next === undefined) {
      this.thread?.unref();
      return;
    }
    const thread = this.threadFor();
    thread.ref();
    const timer = setTimeout(() => this.onTimeLimit(), PREPARE_TIME_LIMIT_MS);
    this.current = { ...next, timer };
    thread.postMessage(next.request);
  }

  private threadFor(): Worker {
    if (this.thread !== undefined) return this.thread;
    // No flags of the host's (`--input-type` and the like do not apply to a thread), and a heap
    // of its own that a hostile source cannot grow into the host's.
    const thread = new Worker(this.scriptPath as string, { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 256 } });
    thread.on('message', (reply: PrepareReply) => this.onReply(thread, reply));
    thread.on('error', (error) => this.onThreadEnd(thread, `it failed: ${error.message}`));
    thread.on('exit', (code) => this.onThreadEnd(thread, `it exited with code ${code}`));
    this.thread = thread;
    return thread;
  }

  private onReply(thread: Worker, reply: PrepareReply): void {
    const current = this.current;
    if (thread !== this.thread || current === undefined || reply.id !== current.request.id) return;
    clearTimeout(current.timer);
    this.current = undefined;
    if (reply.ok) current.resolve(reply.prepared);
    else if ('error' in reply) current.reject(new SandboxError(reply.error.code as CodeOf<'sandbox'>, reply.error.message, reply.error.details === undefined ? {} : { details: reply.error.details }));
    else current.reject(new Error(`Checking the source of tool "${current.request.name}" failed unexpectedly: ${reply.unexpected}`));
    this.pump();
  }

  private onTimeLimit(): void {
    const current = this.current;
    if (current === undefined) return;
    this.current = undefined;
    const thread = this.thread;
    this.thread = undefined;
    void thread?.terminate();
    current.reject(
      new SandboxError(
        'SANDBOX_STATIC_GATE',
        `The static gate could not finish reading the source of tool "${current.request.name}" within ${PREPARE_TIME_LIMIT_MS} ms, so it is refused. Shorten the source, or split deeply nested or very long expressions into smaller functions.`,
        { details: { line: 1, column: 0, rule: 'max-nesting-depth', violations: [{ rule: 'max-nesting-depth', line: 1, column: 0 }] } },
      ),
    );
    this.pump();
  }

  private onThreadEnd(thread: Worker, how: string): void {
    if (thread !== this.thread) return;
    this.thread = undefined;
    const current = this.current;
    if (current === undefined) return;
    clearTimeout(current.timer);
    this.current = undefined;
    current.reject(new SandboxError('SANDBOX_UNAVAILABLE', `The thread that checks tool sources stopped while checking tool "${current.request.name}" (${how}). Compile again; a fresh thread is started.`));
    this.pump();
  }
}

let shared: SourcePreparer | undefined;

/** The process's one {@link SourcePreparer}, created on first use. */
export function sharedSourcePreparer(): SourcePreparer {
  shared ??= new SourcePreparer();
  return shared;
}
