import { writeSync } from 'node:fs';
import type { SandboxFaultCode } from '@toolwright/core';
import { CATASTROPHIC_MARKER, LOG_LIMITS, MAX_GUEST_MESSAGE_LENGTH, type LoadFailure, type WireResult, type WorkerConfig } from '../protocol.js';
import { checkRequest, performFetch, type FetchGrant } from './fetch-capability.js';
import { GUEST_RUNTIME_FILENAME, GUEST_RUNTIME_SOURCE } from './guest-runtime.js';
import type { IsolatedVm, IvmContext, IvmIsolate, IvmReference } from './isolated-vm-types.js';

/** How a run ended before it produced a result. */
interface Fault {
  readonly code: SandboxFaultCode;
  readonly message: string;
}

/** Timers one run may have pending at once. */
const MAX_PENDING_TIMERS = 1_000;

type Outcome = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly fault: Fault };

/** The state of the one run a slot is executing. */
interface RunState {
  /** Identifies the run to the guest runtime, so a late 'done' from an earlier run is ignored. */
  readonly token: number;
  readonly logs: string[];
  logLength: number;
  droppedLogs: number;
  requests: number;
  readonly timers: Map<number, NodeJS.Timeout>;
  denied: string | undefined;
  finished: boolean;
  /** The outcome, once settled. */
  outcome: Outcome | undefined;
  /** Resolves the wait for an asynchronous outcome (set only when the tool returned a promise). */
  settle: ((outcome: Outcome) => void) | undefined;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly grant: FetchGrant;
  /** Created with the run's first fetch (an AbortController costs more than a whole warm run). */
  abort: AbortController | undefined;
  finish(outcome: Outcome): void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function catastrophic(message: string): void {
  // isolated-vm says the process must end: record why where the host can read it, then end at once
  // (process.exit can hang on a broken isolate thread).
  try {
    writeSync(2, `${CATASTROPHIC_MARKER} ${message}\n`);
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
}

/**
 * One compiled tool loaded into its own isolate: the hardened guest runtime, the tool module,
 * and the dispatcher that runs it. Runs are sequential; every entry into the isolate carries
 * the time left before the run's deadline.
 */
export class ToolSlot {
  private current: RunState | undefined;
  private disposed = false;
  private runs = 0;

  private boundKey = '';
  private boundName = '';

  private constructor(
    private readonly isolate: IvmIsolate,
    private readonly context: IvmContext,
    private readonly config: WorkerConfig,
    private install: IvmReference | undefined,
    private dispatch: IvmReference | undefined,
  ) {}

  /** The cache key of the tool loaded here ('' while the slot is a spare). */
  get key(): string {
    return this.boundKey;
  }

  /** The tool's name, for messages. */
  get name(): string {
    return this.boundName;
  }

  /** True once the tool has been run here (a `per-run` tool then needs a fresh slot). */
  get hasRun(): boolean {
    return this.runs > 0;
  }

  /** What the isolate holds now (heap and external memory), in bytes; 0 once it is gone. */
  heapBytes(): number {
    if (this.isDisposed) return 0;
    try {
      const statistics = this.isolate.getHeapStatisticsSync();
      return statistics.total_heap_size + statistics.externally_allocated_size;
    } catch {
      return 0;
    }
  }

  /** True once the isolate is gone (a fault, eviction or shutdown); the slot cannot run again. */
  get isDisposed(): boolean {
    return this.disposed || this.isolate.isDisposed;
  }

  /**
   * Creates an isolate with the hardened guest runtime in it, ready for one tool. This is
   * most of a compile's cost, so the worker keeps one prepared while it is idle.
   */
  static prepare(ivm: IsolatedVm, config: WorkerConfig): ToolSlot {
    const isolate = new ivm.Isolate({ memoryLimit: config.memoryLimitMb, onCatastrophicError: catastrophic });
    try {
      const context = isolate.createContextSync();
      const slot = new ToolSlot(isolate, context, config, undefined, undefined);
      const factory = context.evalSync(GUEST_RUNTIME_SOURCE, { filename: GUEST_RUNTIME_FILENAME, reference: true }) as IvmReference;
      const guestConfig = JSON.stringify({
        maxOutputBytes: config.maxOutputBytes,
        allowWebAssembly: config.allowWebAssembly,
        maxMessageLength: MAX_GUEST_MESSAGE_LENGTH,
        maxLogLineLength: LOG_LIMITS.maxLineLength,
      });
      const host = new ivm.Callback((operation: unknown, first: unknown, second: unknown) => slot.onHostCall(operation, first, second));
      slot.install = factory.applySync(undefined, [host, guestConfig], { result: { reference: true } }) as IvmReference;
      factory.release();
      return slot;
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      throw error;
    }
  }

  /**
   * Loads the tool module into this prepared slot; top-level code runs here, under
   * `timeoutMs`. Returns why the module could not be loaded (the slot is then disposed), or
   * `undefined` when the slot is ready to run.
   */
  load(key: string, name: string, code: string, timeoutMs: number): LoadFailure | undefined {
    this.boundKey = key;
    this.boundName = name;
    const install = this.install;
    this.install = undefined;
    if (install === undefined || this.isDisposed) {
      this.dispose();
      return { kind: 'fault', code: 'CRASHED', message: 'the isolate was not prepared' };
    }
    try {
      let module;
      try {
        module = this.isolate.compileModuleSync(code, { filename: `tool:///${name}.js` });
      } catch (error) {
        this.dispose();
        const line = /tool:\/\/\/[^\s:]+:(\d+)/.exec((error as { stack?: string }).stack ?? '')?.[1];
        return { kind: 'syntax', message: messageOf(error), line: line === undefined ? 1 : Number(line) };
      }
      module.instantiateSync(this.context, (specifier) => {
        throw new Error(`the sandbox resolves no imports ("${specifier}")`);
      });
      try {
        module.evaluateSync({ timeout: timeoutMs });
      } catch (error) {
        const fault = this.classify(error, timeoutMs);
        this.dispose();
        return { kind: 'fault', code: fault.code, message: fault.code === 'THROWN' ? `its top-level code threw (${fault.message})` : fault.message };
      }
      const dispatch = install.applySync(undefined, [module.namespace.derefInto()], { result: { reference: true } }) as IvmReference;
      install.release();
      if (dispatch.typeof !== 'function') {
        const exported = dispatch.copySync();
        this.dispose();
        return { kind: 'no-default-export', exported: typeof exported === 'string' ? exported : 'not a function' };
      }
      this.dispatch = dispatch;
      return undefined;
    } catch (error) {
      const fault = this.classify(error, timeoutMs);
      this.dispose();
      return { kind: 'fault', code: fault.code === 'THROWN' ? 'CRASHED' : fault.code, message: fault.message };
    }
  }

  /**
   * Runs the tool on one argument (JSON text) and reports the outcome. Never throws. A tool
   * that answers synchronously costs no timer and no promise here (most of a warm call's
   * bookkeeping, issue 15): the deadline timer and the wait exist only once it returned a promise.
   */
  async run(inputJson: string, timeoutMs: number, grant: FetchGrant): Promise<WireResult> {
    const started = performance.now();
    this.runs += 1;
    const state: RunState = {
      token: this.runs,
      logs: [],
      logLength: 0,
      droppedLogs: 0,
      requests: 0,
      timers: new Map(),
      denied: undefined,
      finished: false,
      outcome: undefined,
      settle: undefined,
      deadline: started + timeoutMs,
      timeoutMs,
      grant,
      abort: undefined,
      finish: (outcome) => {
        if (state.finished) return;
        state.finished = true;
        state.outcome = outcome;
        state.settle?.(outcome);
      },
    };
    this.current = state;
    let timer: NodeJS.Timeout | undefined;
    let outcome: Outcome;
    try {
      const dispatch = this.dispatch;
      if (dispatch === undefined || this.isDisposed) {
        state.finish({ ok: false, fault: { code: 'CRASHED', message: `the isolate of tool "${this.name}" is gone` } });
      } else {
        try {
          const tagged = dispatch.applySync(undefined, ['run', inputJson, state.token], { timeout: timeoutMs });
          // 'P': the tool returned a promise; its outcome comes back through host('done', …).
          if (tagged !== 'P') state.finish(this.decode(tagged));
        } catch (error) {
          state.finish({ ok: false, fault: this.classify(error, timeoutMs) });
        }
      }
      if (state.outcome !== undefined) outcome = state.outcome;
      else {
        const settled = new Promise<Outcome>((resolve) => (state.settle = resolve));
        timer = setTimeout(() => state.finish({ ok: false, fault: this.timeoutFault(timeoutMs) }), Math.max(0, state.deadline - performance.now()));
        outcome = await settled;
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (state.timers.size > 0) {
        for (const guestTimer of state.timers.values()) clearTimeout(guestTimer);
        state.timers.clear();
      }
      state.abort?.abort();
      this.current = undefined;
    }
    if (state.denied !== undefined) outcome = { ok: false, fault: { code: 'CAPABILITY_DENIED', message: state.denied } };
    // After a fault the isolate may hold a half-finished run (or be gone); start the next from a fresh one.
    if (!outcome.ok && outcome.fault.code !== 'THROWN' && outcome.fault.code !== 'INVALID_OUTPUT' && outcome.fault.code !== 'OUTPUT_TOO_LARGE') {
      this.dispose();
    }
    const logs = state.droppedLogs > 0 ? [...state.logs, `… ${state.droppedLogs} more log line(s) dropped (limits: ${LOG_LIMITS.maxLines} lines, ${LOG_LIMITS.maxTotalLength} characters)`] : state.logs;
    const durationMs = performance.now() - started;
    return outcome.ok
      ? { ok: true, json: outcome.json, durationMs, logs }
      : { ok: false, code: outcome.fault.code, message: outcome.fault.message, durationMs, logs };
  }

  /** Ends the current run, if any, as `TIMEOUT` with `message` (the caller's signal fired). */
  abortCurrent(message: string): void {
    this.current?.finish({ ok: false, fault: { code: 'TIMEOUT', message } });
  }

  /** Frees the isolate. Safe to call more than once. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.current?.finish({ ok: false, fault: { code: 'CRASHED', message: `the isolate of tool "${this.name}" was shut down during the run` } });
    try {
      this.dispatch?.release();
      this.install?.release();
    } catch {
      // Already released with its isolate.
    }
    try {
      if (!this.isolate.isDisposed) this.isolate.dispose();
    } catch {
      // Disposed concurrently (memory limit): nothing left to free.
    }
  }

  private timeoutFault(timeoutMs: number): Fault {
    return {
      code: 'TIMEOUT',
      message: `tool "${this.name}" did not finish within ${timeoutMs} ms (wall clock, async work included). Make it do less per call, or give it more time (timeoutMs)`,
    };
  }

  /** Maps an error isolated-vm raised (not a guest value) to a fault. */
  private classify(error: unknown, timeoutMs: number): Fault {
    const message = messageOf(error);
    if (/timed out/i.test(message)) return this.timeoutFault(timeoutMs);
    if (/memory limit|out of memory/i.test(message) || this.isolate.isDisposed) {
      return { code: 'MEMORY_LIMIT', message: `tool "${this.name}" went over its ${this.config.memoryLimitMb} MiB memory limit. Hold less data at once, or raise memoryLimitMb` };
    }
    // An error isolated-vm raises for the guest: an unhandled promise rejection, for one.
    return { code: 'THROWN', message: `tool "${this.name}" threw: ${message.slice(0, MAX_GUEST_MESSAGE_LENGTH)}` };
  }

  /** Turns the guest runtime's tagged string into an outcome, checking it again on this side. */
  private decode(tagged: unknown): Outcome {
    if (typeof tagged !== 'string' || tagged.length === 0) {
      return { ok: false, fault: { code: 'INVALID_OUTPUT', message: `tool "${this.name}" produced no result the sandbox could read` } };
    }
    const tag = tagged[0];
    const rest = tagged.slice(1);
    switch (tag) {
      case 'V': {
        const bytes = Buffer.byteLength(rest, 'utf8');
        if (bytes > this.config.maxOutputBytes) return this.tooLarge(bytes);
        return { ok: true, json: rest };
      }
      case 'L':
        return this.tooLarge(Number(rest));
      case 'O':
        return { ok: false, fault: { code: 'INVALID_OUTPUT', message: `the result of tool "${this.name}" is not JSON-serialisable: ${rest.slice(0, MAX_GUEST_MESSAGE_LENGTH)}` } };
      case 'T': {
        const thrown = rest.slice(0, MAX_GUEST_MESSAGE_LENGTH);
        if (thrown.startsWith('RangeError: Array buffer allocation failed')) {
          return {
            ok: false,
            fault: { code: 'MEMORY_LIMIT', message: `tool "${this.name}" went over its ${this.config.memoryLimitMb} MiB memory limit (${thrown}). Hold less data at once, or raise memoryLimitMb` },
          };
        }
        return { ok: false, fault: { code: 'THROWN', message: `tool "${this.name}" threw: ${thrown}` } };
      }
      default:
        return { ok: false, fault: { code: 'INVALID_OUTPUT', message: `tool "${this.name}" produced no result the sandbox could read` } };
    }
  }

  private tooLarge(size: number): Outcome {
    const what = Number.isFinite(size) && size > 0 ? `${size} characters or more` : 'too large';
    return {
      ok: false,
      fault: {
        code: 'OUTPUT_TOO_LARGE',
        message: `the result of tool "${this.name}" serialises to ${what}; the limit is ${this.config.maxOutputBytes} bytes (maxOutputBytes). Return less: page, filter or summarise the data`,
      },
    };
  }

  /**
   * The one callback the guest runtime holds. Takes and returns plain strings and numbers, and
   * never throws: an error thrown here would reach the guest with this process's stack trace.
   */
  private onHostCall(operation: unknown, first: unknown, second: unknown): string {
    try {
      return this.hostCall(operation, first, second);
    } catch {
      return 'the sandbox could not complete this call';
    }
  }

  private hostCall(operation: unknown, first: unknown, second: unknown): string {
    switch (operation) {
      case 'log':
        this.onLog(first);
        return '';
      case 'fetch':
        return this.onFetch(first, second);
      case 'timer':
        return this.onTimer(first, second);
      case 'done': {
        const state = this.current;
        if (state !== undefined && first === state.token) state.finish(this.decode(second));
        return '';
      }
      case 'clear':
        if (typeof first === 'number') {
          const timer = this.current?.timers.get(first);
          if (timer !== undefined) clearTimeout(timer);
          this.current?.timers.delete(first);
        }
        return '';
      default:
        return 'unknown host operation';
    }
  }

  /** `setTimeout` from the guest: the wait counts against the run's deadline; the callback runs under the time left. */
  private onTimer(id: unknown, delay: unknown): string {
    const state = this.current;
    if (state === undefined || state.finished) return 'setTimeout: the run is over.';
    if (typeof id !== 'number' || typeof delay !== 'number') return 'setTimeout: malformed call.';
    if (state.timers.size >= MAX_PENDING_TIMERS) return `setTimeout: ${MAX_PENDING_TIMERS} timers are already pending, the most one run may have.`;
    // A wait past the deadline can never fire within the run; cap it so Node's timer stays in range.
    const wait = Math.min(Math.max(0, delay), state.timeoutMs + 1);
    state.timers.set(
      id,
      setTimeout(() => {
        state.timers.delete(id);
        this.enter(state, 'timer', id, '');
      }, wait),
    );
    return '';
  }

  /** `console.*` from the guest: one formatted line, kept within the log limits. */
  private onLog(line: unknown): void {
    const state = this.current;
    // Lines written after the outcome is settled (say, while a denied run unwinds) are still kept.
    if (state === undefined || typeof line !== 'string') return;
    if (state.logs.length >= LOG_LIMITS.maxLines || state.logLength + line.length > LOG_LIMITS.maxTotalLength) {
      state.droppedLogs += 1;
      return;
    }
    state.logs.push(line.slice(0, LOG_LIMITS.maxLineLength));
    state.logLength += line.length;
  }

  /**
   * `fetch` from the guest. Returns '' when the request started (its answer arrives through
   * the dispatcher's `settle`), or the message the guest's promise rejects with. A request
   * outside the grant marks the run `CAPABILITY_DENIED`, whatever the guest does next.
   */
  private onFetch(id: unknown, requestJson: unknown): string {
    const state = this.current;
    if (state === undefined || state.finished) return 'fetch: the run is over.';
    if (typeof id !== 'number') return 'fetch: malformed request.';
    const check = checkRequest(requestJson, state.grant);
    if (!check.ok) {
      if (check.denied) this.deny(state, check.message);
      return check.message;
    }
    if (state.requests >= state.grant.maxRequests) {
      return `fetch: this run already made ${state.grant.maxRequests} requests (redirects included), the most one run may make. Make fewer requests, or raise capabilities.fetch.maxRequests.`;
    }
    state.requests += 1;
    state.abort ??= new AbortController();
    const takeRequest = (): boolean => {
      if (state.finished || state.requests >= state.grant.maxRequests) return false;
      state.requests += 1;
      return true;
    };
    void performFetch(check.request, state.grant, state.abort.signal, takeRequest).then((outcome) => {
      if (outcome.denied !== undefined) {
        this.deny(state, outcome.denied);
        return;
      }
      this.enter(state, 'settle', id, JSON.stringify(outcome.answer));
    });
    return '';
  }

  private deny(state: RunState, message: string): void {
    if (state.denied === undefined) state.denied = message;
    state.finish({ ok: false, fault: { code: 'CAPABILITY_DENIED', message } });
  }

  /** Re-enters the guest for a fetch answer or a due timer; the code it resumes runs under the time left. */
  private enter(state: RunState, kind: 'settle' | 'timer', id: number, answerJson: string): void {
    if (state.finished || this.current !== state || this.dispatch === undefined || this.isDisposed) return;
    const remaining = Math.max(1, Math.floor(state.deadline - performance.now()));
    try {
      this.dispatch.applySync(undefined, [kind, id, answerJson], { timeout: remaining });
    } catch (error) {
      state.finish({ ok: false, fault: this.classify(error, state.timeoutMs) });
    }
  }
}
