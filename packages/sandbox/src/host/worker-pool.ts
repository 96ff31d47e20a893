import { SandboxError, type SandboxFaultCode } from '@toolwright/core';
import type { LoadFailure, ToolIsolation, WireResult, WorkerConfig, WorkerMessage } from '../protocol.js';
import { WorkerProcess, type WorkerExit } from './worker-process.js';

/** How long past a run's deadline the host waits for its worker before killing it. */
export function watchdogGraceMs(timeoutMs: number): number {
  return 500 + Math.ceil(timeoutMs / 10);
}

/** How many tools that ended a worker the pool remembers (their batches then report each result at once). */
const REMEMBERED_CRASHERS = 1000;

/** A tool's identity across compiles: `name@codeHash` (the part of a job key before its origins and serial). */
export function toolIdentity(key: string): string {
  const end = key.indexOf('|');
  return end === -1 ? key : key.slice(0, end);
}

/** Consecutive worker start failures after which queued jobs fail instead of retrying. */
const MAX_START_FAILURES = 3;
const SHUTDOWN_GRACE_MS = 1_000;
const IDLE_UNREF_DELAY_MS = 20;

/** Loading a compiled tool into a worker (what `compile` waits for). */
export interface LoadJob {
  readonly kind: 'load';
  readonly key: string;
  readonly name: string;
  readonly code: string;
  readonly timeoutMs: number;
  readonly isolation: ToolIsolation;
  resolve(failure: LoadFailure | undefined): void;
  reject(error: SandboxError): void;
}

/** One argument of a run job: its position in the caller's list and its JSON text. */
export interface RunItem {
  readonly index: number;
  readonly json: string;
}

/** Running a tool on one or more arguments, in order; each result is reported as it arrives. */
export interface RunJob {
  readonly kind: 'run';
  readonly key: string;
  readonly name: string;
  readonly code: string;
  readonly origins: readonly string[];
  readonly timeoutMs: number;
  readonly isolation: ToolIsolation;
  items: readonly RunItem[];
  /**
   * Whether the worker reports each result as soon as it is ready. Off, results come in small
   * groups (fast batches); the pool turns it on to re-run the cases left after a crash, so
   * that the case that causes it is known exactly.
   */
  reportEach: boolean;
  readonly signal: AbortSignal | undefined;
  onResult(index: number, result: WireResult): void;
  reject(error: SandboxError): void;
}

export type PoolJob = LoadJob | RunJob;

interface Assignment {
  readonly job: PoolJob;
  readonly jobId: number;
  /** For a run job: whether the worker reports each result at once. */
  readonly reportEach: boolean;
  /** For a run job: the next item (position in `job.items`) without a result. */
  next: number;
  progressAt: number;
  readonly onAbort: (() => void) | undefined;
}

interface PoolWorker {
  readonly process: WorkerProcess;
  ready: boolean;
  assignment: Assignment | undefined;
  /** When (`performance.now()`) the watchdog kills this worker; `Infinity` while it has no job. */
  deadlineAt: number;
  /**
   * One timer per worker, re-armed lazily: it fires at `watchdogAt` (never later than
   * `deadlineAt`), and only then looks whether the deadline has moved on. A warm call thus
   * costs no timer of its own (issue 15).
   */
  watchdog: NodeJS.Timeout | undefined;
  watchdogAt: number;
}

/** Counters that describe the pool, for tests and monitoring. */
export interface PoolStats {
  /** Live worker processes. */
  readonly workers: number;
  /** Their process ids. */
  readonly pids: readonly number[];
  /** Workers that ended other than by `dispose` (crash, catastrophic error, missed deadline). */
  readonly restarts: number;
  /** The isolated-vm the workers loaded, once one has started. */
  readonly engine: string | undefined;
}

function exitFault(exit: WorkerExit, name: string, timeoutMs: number): { code: SandboxFaultCode; message: string } {
  if (exit.killedFor === 'deadline') {
    return {
      code: 'TIMEOUT',
      message: `tool "${name}" did not finish within ${timeoutMs} ms; its worker process stopped answering, was killed and replaced. A single builtin call on huge data (split, join, sort) ignores the deadline: work in smaller pieces`,
    };
  }
  if (exit.killedFor === 'memory' || exit.outOfMemory) {
    return {
      code: 'MEMORY_LIMIT',
      message: `tool "${name}" exhausted memory so badly that its worker process ended${exit.catastrophic ? ` (${exit.catastrophic})` : ''}; a fresh worker replaced it. Hold less data at once (large Maps and Sets of strings are the usual cause)`,
    };
  }
  const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
  return {
    code: 'CRASHED',
    message: `the worker process running tool "${name}" ended unexpectedly (${how}${exit.catastrophic ? `: ${exit.catastrophic}` : ''}); a fresh worker replaced it`,
  };
}

/**
 * Supervised worker processes and the queue of jobs they take, one job per worker at a time.
 * A watchdog enforces every run's deadline from outside the worker: a worker that misses it
 * by more than the grace period is killed, the run reported `TIMEOUT`, a fresh worker started,
 * and the rest of the queue (including the job's remaining items) proceeds.
 */
export class WorkerPool {
  private readonly queue: PoolJob[] = [];
  private readonly workers = new Set<PoolWorker>();
  private readonly byProcess = new Map<WorkerProcess, PoolWorker>();
  /**
   * What the workers call each job key: a short name (`#1`, `#2`, …) instead of the key's
   * hundred characters, so that every run message is that much shorter to write and parse.
   */
  private readonly wireKeys = new Map<string, string>();
  private nextWireKey = 1;
  private readonly queuedAbortListeners = new Map<RunJob, () => void>();
  /**
   * Tools whose run ended a worker when its progress record could not name the case (no
   * record, or the worker died between cases). Their batches report each result at once from the start:
   * when such a case ends the worker again, the pool knows which one it was, and no case runs
   * twice (a grouped batch that loses its worker must run its unreported cases again to find it).
   */
  private readonly crashers = new Set<string>();
  private nextJobId = 1;
  private restarts = 0;
  private startFailures = 0;
  private unavailable: SandboxError | undefined;
  private engine: string | undefined;
  private disposed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Whether the pool went idle and its workers are to be unreferenced once `idleSince` is old enough. */
  private idlePending = false;
  private idleSince = 0;

  constructor(
    private readonly scriptPath: string,
    private readonly config: WorkerConfig,
    private readonly size: number,
  ) {}

  /** Queues a job. Rejects it at once if the pool is disposed or no isolated-vm can load. */
  submit(job: PoolJob): void {
    if (this.disposed) {
      job.reject(new SandboxError('SANDBOX_DISPOSED', 'The sandbox was disposed; create a new one with createSandbox().'));
      return;
    }
    if (this.unavailable !== undefined) {
      job.reject(this.unavailable);
      return;
    }
    if (job.kind === 'run' && job.signal?.aborted === true) {
      this.abortQueued(job);
      return;
    }
    this.enqueue(job, 'back');
    this.pump();
  }

  /** Puts a job in the queue; a run job's signal, while it waits there, removes it unrun. */
  private enqueue(job: PoolJob, end: 'front' | 'back'): void {
    if (end === 'front') this.queue.unshift(job);
    else this.queue.push(job);
    if (job.kind === 'run' && job.signal !== undefined && !this.queuedAbortListeners.has(job)) {
      const listener = (): void => this.onQueuedAbort(job);
      this.queuedAbortListeners.set(job, listener);
      job.signal.addEventListener('abort', listener, { once: true });
    }
  }

  /** Takes the next job off the queue, detaching its queued-abort listener. */
  private dequeue(): PoolJob | undefined {
    const job = this.queue.shift();
    if (job !== undefined) this.forgetQueuedAbort(job);
    return job;
  }

  private forgetQueuedAbort(job: PoolJob): void {
    if (job.kind !== 'run') return;
    const listener = this.queuedAbortListeners.get(job);
    if (listener === undefined) return;
    this.queuedAbortListeners.delete(job);
    job.signal?.removeEventListener('abort', listener);
  }

  /** Tells every worker that the tool loaded under `key` is no longer needed (its handle is gone). */
  forget(key: string): void {
    if (this.disposed) return;
    const wire = this.wireKeys.get(key);
    if (wire === undefined) return;
    this.wireKeys.delete(key);
    for (const worker of this.workers) worker.process.send({ type: 'forget', key: wire });
  }

  private wireKey(key: string): string {
    let wire = this.wireKeys.get(key);
    if (wire === undefined) {
      wire = `#${this.nextWireKey++}`;
      this.wireKeys.set(key, wire);
    }
    return wire;
  }

  /**
   * The bare round trip, in milliseconds, to a ready worker that has no job (no isolate
   * involved: the transport's floor), or `undefined` when no worker is ready and idle.
   */
  async ping(): Promise<number | undefined> {
    for (const worker of this.workers) {
      if (worker.ready && worker.assignment === undefined) return worker.process.ping();
    }
    return undefined;
  }

  stats(): PoolStats {
    const pids = [...this.workers].map((worker) => worker.process.pid).filter((pid): pid is number => pid !== undefined);
    return { workers: this.workers.size, pids, restarts: this.restarts, engine: this.engine };
  }

  /** Rejects every queued and running job with `SANDBOX_DISPOSED`, and ends every worker. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    const error = new SandboxError('SANDBOX_DISPOSED', 'The sandbox was disposed while this call was waiting or running.');
    for (let job = this.dequeue(); job !== undefined; job = this.dequeue()) job.reject(error);
    const workers = [...this.workers];
    for (const worker of workers) {
      if (worker.watchdog !== undefined) clearTimeout(worker.watchdog);
      worker.watchdog = undefined;
      const assignment = worker.assignment;
      if (assignment !== undefined) {
        this.release(worker, assignment);
        worker.assignment = undefined;
        assignment.job.reject(error);
      }
    }
    await Promise.all(workers.map((worker) => worker.process.shutdown(SHUTDOWN_GRACE_MS)));
  }

  private pump(): void {
    if (this.disposed) return;
    while (this.queue.length > 0) {
      let idle: PoolWorker | undefined;
      let starting = false;
      for (const worker of this.workers) {
        if (!worker.ready) starting = true;
        else if (worker.assignment === undefined) {
          idle = worker;
          break;
        }
      }
      if (idle === undefined) {
        if (!starting && this.workers.size < this.size) this.spawn();
        break;
      }
      const job = this.dequeue();
      if (job !== undefined) this.dispatch(idle, job);
    }
    this.updateReferences();
  }

  private spawn(): void {
    const process = new WorkerProcess(this.scriptPath, this.config, {
      message: (source, message) => this.onMessage(source, message),
      exit: (source, exit) => this.onExit(source, exit),
    });
    const worker: PoolWorker = { process, ready: false, assignment: undefined, deadlineAt: Number.POSITIVE_INFINITY, watchdog: undefined, watchdogAt: 0 };
    this.workers.add(worker);
    this.byProcess.set(process, worker);
    process.ready.then(
      (engine) => {
        this.engine = engine;
        this.startFailures = 0;
        worker.ready = true;
        this.pump();
      },
      (error: SandboxError) => this.onStartFailure(error),
    );
  }

  private onStartFailure(error: SandboxError): void {
    if (this.disposed) return;
    // A worker that started but found no isolated-vm will not find one next time either.
    const permanent = error.details?.['attempts'] !== undefined;
    this.startFailures += 1;
    if (permanent) this.unavailable = error;
    if (permanent || this.startFailures >= MAX_START_FAILURES) {
      for (let job = this.dequeue(); job !== undefined; job = this.dequeue()) job.reject(error);
      this.startFailures = 0;
    }
    this.pump();
  }

  private dispatch(worker: PoolWorker, job: PoolJob): void {
    const jobId = this.nextJobId++;
    const onAbort =
      job.kind === 'run' && job.signal !== undefined
        ? () => {
            worker.process.send({ type: 'cancel', jobId });
            const assignment = worker.assignment;
            if (assignment?.jobId === jobId) this.arm(worker, assignment, 0);
          }
        : undefined;
    const reportEach = job.kind === 'run' && (job.reportEach || (job.items.length > 1 && this.crashers.has(toolIdentity(job.key))));
    const assignment: Assignment = { job, jobId, reportEach, next: 0, progressAt: performance.now(), onAbort };
    worker.assignment = assignment;
    if (job.kind === 'load') {
      worker.process.send({ type: 'load', jobId, key: this.wireKey(job.key), name: job.name, code: job.code, timeoutMs: job.timeoutMs, isolation: job.isolation });
    } else {
      job.signal?.addEventListener('abort', onAbort as () => void, { once: true });
      worker.process.send({
        type: 'run',
        jobId,
        key: this.wireKey(job.key),
        isolation: job.isolation,
        inputs: job.items.map((item) => item.json),
        timeoutMs: job.timeoutMs,
        origins: job.origins,
        reportEach,
      });
    }
    this.arm(worker, assignment, job.timeoutMs);
  }

  /** (Re)starts the watchdog: the worker must answer within `budgetMs` plus the grace period. */
  private arm(worker: PoolWorker, assignment: Assignment, budgetMs: number): void {
    const at = performance.now() + budgetMs + watchdogGraceMs(assignment.job.timeoutMs);
    worker.deadlineAt = at;
    if (worker.watchdog !== undefined && worker.watchdogAt <= at) {
      // It fires before the new deadline and then re-arms itself for the rest.
      worker.watchdog.ref();
      return;
    }
    if (worker.watchdog !== undefined) clearTimeout(worker.watchdog);
    this.startWatchdog(worker, at);
  }

  private startWatchdog(worker: PoolWorker, at: number): void {
    worker.watchdogAt = at;
    worker.watchdog = setTimeout(() => this.onWatchdog(worker), Math.max(1, Math.ceil(at - performance.now())));
  }

  private onWatchdog(worker: PoolWorker): void {
    worker.watchdog = undefined;
    if (worker.assignment === undefined || worker.process.hasExited || !this.workers.has(worker)) return;
    // Node's timers count whole milliseconds: within one of the deadline is the deadline.
    if (performance.now() >= worker.deadlineAt - 1) worker.process.kill('deadline');
    else this.startWatchdog(worker, worker.deadlineAt);
  }

  private release(worker: PoolWorker, assignment: Assignment): void {
    worker.deadlineAt = Number.POSITIVE_INFINITY;
    // Left to fire (and find nothing to do), but it must not keep an idle program alive.
    worker.watchdog?.unref();
    if (assignment.onAbort !== undefined && assignment.job.kind === 'run') {
      assignment.job.signal?.removeEventListener('abort', assignment.onAbort);
    }
  }

  private finish(worker: PoolWorker, assignment: Assignment): void {
    this.release(worker, assignment);
    worker.assignment = undefined;
    this.pump();
  }

  private onMessage(process: WorkerProcess, message: WorkerMessage): void {
    const worker = this.byProcess.get(process);
    const assignment = worker?.assignment;
    if (worker === undefined || assignment === undefined) return;
    if (!('jobId' in message) || message.jobId !== assignment.jobId) return;
    const job = assignment.job;
    switch (message.type) {
      case 'missing':
        process.send({ type: 'code', jobId: assignment.jobId, key: this.wireKey(job.key), name: job.name, code: job.code });
        return;
      case 'loading':
        // Top-level code, then the next case: each may take the whole timeout.
        this.arm(worker, assignment, 2 * job.timeoutMs);
        return;
      case 'loaded':
        if (job.kind !== 'load') return;
        this.finish(worker, assignment);
        job.resolve(message.failure);
        return;
      case 'results': {
        if (job.kind !== 'run' || !Array.isArray(message.results)) return;
        const delivered: [RunItem, WireResult][] = [];
        for (const { index, result } of message.results) {
          const item = job.items[index];
          if (item === undefined) continue;
          delivered.push([item, result]);
          assignment.next = Math.max(assignment.next, index + 1);
        }
        assignment.progressAt = performance.now();
        if (assignment.next >= job.items.length) this.finish(worker, assignment);
        else this.arm(worker, assignment, job.timeoutMs);
        for (const [item, result] of delivered) job.onResult(item.index, result);
        return;
      }
    }
  }

  private onExit(process: WorkerProcess, exit: WorkerExit): void {
    const worker = this.byProcess.get(process);
    if (worker === undefined) return;
    this.workers.delete(worker);
    this.byProcess.delete(process);
    if (worker.watchdog !== undefined) clearTimeout(worker.watchdog);
    worker.watchdog = undefined;
    if (this.disposed || exit.killedFor === 'dispose') {
      this.updateReferences();
      return;
    }
    if (worker.ready) this.restarts += 1;
    const assignment = worker.assignment;
    worker.assignment = undefined;
    if (assignment !== undefined) {
      this.release(worker, assignment);
      const job = assignment.job;
      const fault = exitFault(exit, job.name, job.timeoutMs);
      if (job.kind === 'load') job.resolve({ kind: 'fault', code: fault.code, message: fault.message });
      else {
        // The progress record names the case that was running, when the worker was in one.
        const progress = exit.progress;
        const running = progress !== undefined && progress.jobId === assignment.jobId && progress.running && progress.index >= assignment.next ? progress.index - assignment.next : undefined;
        this.blameAndRequeue(job, job.items.slice(assignment.next), fault, performance.now() - assignment.progressAt, assignment.reportEach, running);
      }
    }
    // A fresh worker right away, so the next run does not pay for the start.
    if (worker.ready && this.workers.size < this.size) this.spawn();
    this.pump();
  }

  /**
   * After a worker died during a run job: the case it was running gets the fault, the other
   * unreported cases go back to the front of the queue (those that had finished, their results
   * lost with the worker, run again; the one that ended the worker does not). `running` is that
   * case's position in `unreported`, from the worker's progress record. Without it (no record,
   * or the worker died between cases) and with results still grouped in the dead worker, which
   * case was running is not known; then every unreported case runs again, reporting each at
   * once, and the next failure names its case exactly.
   */
  private blameAndRequeue(
    job: RunJob,
    unreported: readonly RunItem[],
    fault: { code: SandboxFaultCode; message: string },
    durationMs: number,
    reportedEach: boolean,
    running: number | undefined,
  ): void {
    const aborted = job.signal?.aborted === true;
    if (running === undefined) {
      const identity = toolIdentity(job.key);
      this.crashers.delete(identity);
      this.crashers.add(identity);
      if (this.crashers.size > REMEMBERED_CRASHERS) this.crashers.delete(this.crashers.values().next().value as string);
      if (!reportedEach && unreported.length > 1 && !aborted) {
        job.items = unreported;
        job.reportEach = true;
        this.enqueue(job, 'front');
        return;
      }
    }
    const position = running ?? 0;
    const failed = unreported[position];
    const rest = unreported.filter((_, index) => index !== position);
    if (rest.length > 0) {
      job.items = rest;
      job.reportEach = false;
      if (aborted) this.abortQueued(job);
      else this.enqueue(job, 'front');
    }
    if (failed !== undefined) {
      job.onResult(
        failed.index,
        aborted
          ? { ok: false, code: 'TIMEOUT', message: 'the run was aborted through its signal', durationMs, logs: [] }
          : { ok: false, code: fault.code, message: fault.message, durationMs, logs: [], workerEnded: true },
      );
    }
  }

  private onQueuedAbort(job: RunJob): void {
    const position = this.queue.indexOf(job);
    this.queuedAbortListeners.delete(job);
    if (position === -1) return;
    this.queue.splice(position, 1);
    this.abortQueued(job);
    this.updateReferences();
  }

  private abortQueued(job: RunJob): void {
    for (const item of job.items) {
      job.onResult(item.index, { ok: false, code: 'TIMEOUT', message: 'the run was aborted through its signal before it started', durationMs: 0, logs: [] });
    }
  }

  /**
   * Busy workers keep the program alive; idle ones do not. Going idle takes effect after a
   * short pause, so back-to-back runs do not toggle the handles on every call.
   */
  private updateReferences(): void {
    let busy = this.queue.length > 0;
    if (!busy) {
      for (const worker of this.workers) {
        if (worker.assignment !== undefined || !worker.ready) {
          busy = true;
          break;
        }
      }
    }
    if (busy) {
      this.idlePending = false;
      for (const worker of this.workers) worker.process.setReferenced(true);
      return;
    }
    if (this.disposed) return;
    // Lazily: one timer at a time, which looks again when it fires (no timer per call).
    this.idlePending = true;
    this.idleSince = performance.now();
    if (this.idleTimer === undefined) this.startIdleTimer(IDLE_UNREF_DELAY_MS);
  }

  private startIdleTimer(delayMs: number): void {
    this.idleTimer = setTimeout(() => this.onIdleTimer(), delayMs);
    this.idleTimer.unref();
  }

  private onIdleTimer(): void {
    this.idleTimer = undefined;
    if (!this.idlePending || this.disposed) return;
    const left = this.idleSince + IDLE_UNREF_DELAY_MS - performance.now();
    if (left > 1) {
      this.startIdleTimer(Math.ceil(left));
      return;
    }
    this.idlePending = false;
    for (const worker of this.workers) worker.process.setReferenced(false);
  }
}
