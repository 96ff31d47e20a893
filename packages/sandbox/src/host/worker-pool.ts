import { SandboxError, type SandboxFaultCode } from '@toolwright/core';
import type { LoadFailure, WireResult, WorkerConfig, WorkerMessage } from '../protocol.js';
import { WorkerProcess, type WorkerExit } from './worker-process.js';

/** How long past a run's deadline the host waits for its worker before killing it. */
export function watchdogGraceMs(timeoutMs: number): number {
  return 500 + Math.ceil(timeoutMs / 10);
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
  /** For a run job: the next item (position in `job.items`) without a result. */
  next: number;
  progressAt: number;
  watchdog: NodeJS.Timeout | undefined;
  readonly onAbort: (() => void) | undefined;
}

interface PoolWorker {
  readonly process: WorkerProcess;
  ready: boolean;
  assignment: Assignment | undefined;
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
      message: `tool "${name}" did not finish within ${timeoutMs} ms; its worker process stopped answering, was killed and replaced`,
    };
  }
  if (exit.killedFor === 'memory' || exit.outOfMemory) {
    return {
      code: 'MEMORY_LIMIT',
      message: `tool "${name}" exhausted memory so badly that its worker process ended${exit.catastrophic ? ` (${exit.catastrophic})` : ''}; a fresh worker replaced it`,
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
  private readonly queuedAbortListeners = new Map<RunJob, () => void>();
  private nextJobId = 1;
  private restarts = 0;
  private startFailures = 0;
  private unavailable: SandboxError | undefined;
  private engine: string | undefined;
  private disposed = false;
  private idleTimer: NodeJS.Timeout | undefined;

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
      const assignment = worker.assignment;
      if (assignment !== undefined) {
        this.release(assignment);
        worker.assignment = undefined;
        assignment.job.reject(error);
      }
    }
    await Promise.all(workers.map((worker) => worker.process.shutdown(SHUTDOWN_GRACE_MS)));
  }

  private pump(): void {
    if (this.disposed) return;
    while (this.queue.length > 0) {
      const idle = [...this.workers].find((worker) => worker.ready && worker.assignment === undefined);
      if (idle === undefined) {
        const starting = [...this.workers].some((worker) => !worker.ready);
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
    const worker: PoolWorker = { process, ready: false, assignment: undefined };
    this.workers.add(worker);
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
    const assignment: Assignment = { job, jobId, next: 0, progressAt: performance.now(), watchdog: undefined, onAbort };
    worker.assignment = assignment;
    if (job.kind === 'load') {
      worker.process.send({ type: 'load', jobId, key: job.key, name: job.name, code: job.code, timeoutMs: job.timeoutMs });
    } else {
      job.signal?.addEventListener('abort', onAbort as () => void, { once: true });
      worker.process.send({
        type: 'run',
        jobId,
        key: job.key,
        inputs: job.items.map((item) => item.json),
        timeoutMs: job.timeoutMs,
        origins: job.origins,
        reportEach: job.reportEach,
      });
    }
    this.arm(worker, assignment, job.timeoutMs);
  }

  /** (Re)starts the watchdog: the worker must answer within `budgetMs` plus the grace period. */
  private arm(worker: PoolWorker, assignment: Assignment, budgetMs: number): void {
    if (assignment.watchdog !== undefined) clearTimeout(assignment.watchdog);
    assignment.watchdog = setTimeout(() => worker.process.kill('deadline'), budgetMs + watchdogGraceMs(assignment.job.timeoutMs));
  }

  private release(assignment: Assignment): void {
    if (assignment.watchdog !== undefined) clearTimeout(assignment.watchdog);
    assignment.watchdog = undefined;
    if (assignment.onAbort !== undefined && assignment.job.kind === 'run') {
      assignment.job.signal?.removeEventListener('abort', assignment.onAbort);
    }
  }

  private finish(worker: PoolWorker, assignment: Assignment): void {
    this.release(assignment);
    worker.assignment = undefined;
    this.pump();
  }

  private onMessage(process: WorkerProcess, message: WorkerMessage): void {
    const worker = [...this.workers].find((candidate) => candidate.process === process);
    const assignment = worker?.assignment;
    if (worker === undefined || assignment === undefined) return;
    if (!('jobId' in message) || message.jobId !== assignment.jobId) return;
    const job = assignment.job;
    switch (message.type) {
      case 'missing':
        process.send({ type: 'code', jobId: assignment.jobId, key: job.key, name: job.name, code: job.code });
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
    const worker = [...this.workers].find((candidate) => candidate.process === process);
    if (worker === undefined) return;
    this.workers.delete(worker);
    if (this.disposed || exit.killedFor === 'dispose') {
      this.updateReferences();
      return;
    }
    if (worker.ready) this.restarts += 1;
    const assignment = worker.assignment;
    worker.assignment = undefined;
    if (assignment !== undefined) {
      this.release(assignment);
      const job = assignment.job;
      const fault = exitFault(exit, job.name, job.timeoutMs);
      if (job.kind === 'load') job.resolve({ kind: 'fault', code: fault.code, message: fault.message });
      else this.blameAndRequeue(job, job.items.slice(assignment.next), fault, performance.now() - assignment.progressAt);
    }
    // A fresh worker right away, so the next run does not pay for the start.
    if (worker.ready && this.workers.size < this.size) this.spawn();
    this.pump();
  }

  /**
   * After a worker died during a run job: the case it was running gets the fault, the cases
   * after it go back to the front of the queue. When results were still grouped in the dead
   * worker, which case was running is not known; then every unreported case runs again,
   * reporting each at once, and the next failure names its case exactly.
   */
  private blameAndRequeue(job: RunJob, unreported: readonly RunItem[], fault: { code: SandboxFaultCode; message: string }, durationMs: number): void {
    const aborted = job.signal?.aborted === true;
    if (!job.reportEach && unreported.length > 1 && !aborted) {
      job.items = unreported;
      job.reportEach = true;
      this.enqueue(job, 'front');
      return;
    }
    const [failed, ...rest] = unreported;
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
          : { ok: false, code: fault.code, message: fault.message, durationMs, logs: [] },
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
    const busy = this.queue.length > 0 || [...this.workers].some((worker) => worker.assignment !== undefined || !worker.ready);
    if (busy) {
      if (this.idleTimer !== undefined) {
        clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
      }
      for (const worker of this.workers) worker.process.setReferenced(true);
      return;
    }
    if (this.idleTimer !== undefined) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      for (const worker of this.workers) worker.process.setReferenced(false);
    }, IDLE_UNREF_DELAY_MS);
    this.idleTimer.unref();
  }
}
