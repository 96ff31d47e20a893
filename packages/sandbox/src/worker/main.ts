/**
 * The worker process: started by the host with `--no-node-snapshot`, it loads isolated-vm,
 * keeps compiled tools warm in their own isolates, and runs one job at a time. Anything that
 * goes badly wrong in here ends this process only; the host reports it and starts another.
 */
import { writeSync } from 'node:fs';
import { OutputBudget } from '../output-budget.js';
import { PROGRESS_DONE, PROGRESS_RECORD_BYTES, PROGRESS_RUNNING, type HostMessage, type LoadFailure, type WireResult, type WorkerConfig, type WorkerMessage } from '../protocol.js';
import { loadEngine, type LoadedEngine } from './engine.js';
import type { FetchGrant } from './fetch-capability.js';
import { ToolSlot } from './tool-slot.js';

const MAX_CACHED_SOURCES = 512;

interface CachedSource {
  readonly name: string;
  readonly code: string;
}

type Job = Extract<HostMessage, { type: 'load' | 'run' }>;

let config: WorkerConfig | undefined;
let engine: LoadedEngine | undefined;
const slots = new Map<string, ToolSlot>();
const sources = new Map<string, CachedSource>();
const awaitingCode = new Map<number, (source: CachedSource) => void>();
const cancelled = new Set<number>();
/** Keys whose handle the host dropped while one of their runs was in progress: freed after it. */
const forgotten = new Set<string>();
const jobs: Job[] = [];
let working = false;
let activeJobId: number | undefined;
let activeSlot: ToolSlot | undefined;
/** An isolate with the guest runtime already in it, made while idle, so a compile skips that cost. */
let spare: ToolSlot | undefined;
let spareScheduled = false;

/** The progress record the host gave this worker (see PROGRESS_RECORD_BYTES), if any. */
let progressFd: number | undefined;
const progressRecord = new Float64Array(3);

/** Records, for the host to read should this process die, which case of which batch is running or done. */
function markProgress(jobId: number, index: number, phase: typeof PROGRESS_RUNNING | typeof PROGRESS_DONE): void {
  if (progressFd === undefined) return;
  progressRecord[0] = jobId;
  progressRecord[1] = index;
  progressRecord[2] = phase;
  try {
    writeSync(progressFd, progressRecord, 0, PROGRESS_RECORD_BYTES, 0);
  } catch {
    // Stop using it; the host's fallback re-runs unreported cases instead.
    progressFd = undefined;
  }
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

/** Least recently used first: re-inserting moves an entry to the end. */
function touch<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
}

function remember(key: string, source: CachedSource): void {
  touch(sources, key, source);
  while (sources.size > MAX_CACHED_SOURCES) {
    const oldest = sources.keys().next().value;
    if (oldest === undefined) break;
    sources.delete(oldest);
  }
}

function keep(slot: ToolSlot, limit: number): void {
  touch(slots, slot.key, slot);
  while (slots.size > limit) {
    const [oldestKey, oldest] = slots.entries().next().value ?? [];
    if (oldestKey === undefined || oldest === undefined) break;
    slots.delete(oldestKey);
    // Disposing an isolate takes milliseconds: do it after the current job has answered.
    setImmediate(() => oldest.dispose());
  }
}

/** A prepared isolate with `code` loaded into it, or why it could not be loaded. */
function loadSlot(activeEngine: LoadedEngine, activeConfig: WorkerConfig, key: string, name: string, code: string, timeoutMs: number): { slot: ToolSlot } | { failure: LoadFailure } {
  let slot = spare;
  spare = undefined;
  try {
    slot ??= ToolSlot.prepare(activeEngine.ivm, activeConfig);
  } catch (error) {
    return { failure: { kind: 'fault', code: 'CRASHED', message: `no isolate could be created (${error instanceof Error ? error.message : String(error)})` } };
  }
  const failure = slot.load(key, name, code, timeoutMs);
  return failure === undefined ? { slot } : { failure };
}

/** Prepares the next spare isolate once the worker has nothing else to do. */
function scheduleSpare(): void {
  if (spare !== undefined || spareScheduled || config === undefined || engine === undefined) return;
  spareScheduled = true;
  setImmediate(() => {
    spareScheduled = false;
    if (spare !== undefined || jobs.length > 0 || working || config === undefined || engine === undefined) return;
    try {
      spare = ToolSlot.prepare(engine.ivm, config);
    } catch {
      // Retried before the next load, where a failure is reported.
    }
  });
}

function drop(slot: ToolSlot): void {
  if (slots.get(slot.key) === slot) slots.delete(slot.key);
  slot.dispose();
}

async function sourceFor(jobId: number, key: string): Promise<CachedSource> {
  const cached = sources.get(key);
  if (cached !== undefined) return cached;
  const source = await new Promise<CachedSource>((resolve) => {
    awaitingCode.set(jobId, resolve);
    send({ type: 'missing', jobId, key });
  });
  remember(key, source);
  return source;
}

function faultResult(code: Extract<WireResult, { ok: false }>['code'], message: string): WireResult {
  return { ok: false, code, message, durationMs: 0, logs: [] };
}

/** How often, at most, the worker adds up its isolates' memory after runs (always after a load). */
const MEMORY_CHECK_INTERVAL_MS = 50;
let memoryCheckedAt = 0;
/** Set when a job loaded a tool into a new isolate: the memory is then added up right after it. */
let loadedSinceCheck = false;

/**
 * Keeps the warm isolates of this worker within `maxWorkerMemoryMb` together: the least
 * recently used tools are unloaded (and reloaded on their next run) until the rest fit. The
 * most recently used one always stays.
 */
function enforceMemoryBudget(activeConfig: WorkerConfig, force: boolean): void {
  const now = performance.now();
  if (!force && !loadedSinceCheck && now - memoryCheckedAt < MEMORY_CHECK_INTERVAL_MS) return;
  memoryCheckedAt = now;
  loadedSinceCheck = false;
  const budget = activeConfig.maxWorkerMemoryMb * 1024 * 1024;
  const sizes = new Map<ToolSlot, number>();
  let total = spare?.heapBytes() ?? 0;
  for (const slot of slots.values()) {
    const bytes = slot.heapBytes();
    sizes.set(slot, bytes);
    total += bytes;
  }
  for (const [key, slot] of slots) {
    if (total <= budget || slots.size <= 1) break;
    slots.delete(key);
    total -= sizes.get(slot) ?? 0;
    slot.dispose();
  }
}

function handleLoad(job: Extract<HostMessage, { type: 'load' }>, activeConfig: WorkerConfig, activeEngine: LoadedEngine): void {
  remember(job.key, { name: job.name, code: job.code });
  const existing = slots.get(job.key);
  if (existing !== undefined && !existing.isDisposed && (job.isolation === 'warm' || !existing.hasRun)) {
    keep(existing, activeConfig.maxWarmTools);
    send({ type: 'loaded', jobId: job.jobId });
    return;
  }
  const loaded = loadSlot(activeEngine, activeConfig, job.key, job.name, job.code, job.timeoutMs);
  if ('failure' in loaded) {
    send({ type: 'loaded', jobId: job.jobId, failure: loaded.failure });
    return;
  }
  keep(loaded.slot, activeConfig.maxWarmTools);
  send({ type: 'loaded', jobId: job.jobId });
}

/**
 * Results of a run job go back in small groups (a batch of a thousand cases is a few dozen
 * messages, not a thousand), at most {@link FLUSH_AFTER_MS} after the first one was ready and
 * at most about {@link FLUSH_AFTER_BYTES} of JSON at a time, so the host's watchdog always
 * sees progress and no message is large. With `reportEach` every result goes at once, which
 * the host asks for after a crash, to tell exactly which case caused it.
 */
const FLUSH_AFTER_RESULTS = 64;
const FLUSH_AFTER_MS = 2;
const FLUSH_AFTER_BYTES = 1024 * 1024;

/** The slot of `job`'s tool when it is loaded and may run now (no await: the warm path of every call). */
function warmSlot(job: Extract<HostMessage, { type: 'run' }>, current: ToolSlot | undefined, activeConfig: WorkerConfig): { slot: ToolSlot } | undefined {
  if (current !== undefined && !current.isDisposed && (job.isolation === 'warm' || !current.hasRun)) return { slot: current };
  const warm = slots.get(job.key);
  if (warm !== undefined && !warm.isDisposed && (job.isolation === 'warm' || !warm.hasRun)) {
    keep(warm, activeConfig.maxWarmTools);
    return { slot: warm };
  }
  return undefined;
}

/** Loads the tool of `job` (its source asked from the host if this worker lacks it) into a fresh slot; or why it could not be loaded. */
async function slotFor(
  job: Extract<HostMessage, { type: 'run' }>,
  activeConfig: WorkerConfig,
  activeEngine: LoadedEngine,
  beforeLoad: () => void,
): Promise<{ slot: ToolSlot } | { fault: WireResult }> {
  // Loading runs top-level code under its own deadline: tell the host's watchdog first.
  beforeLoad();
  send({ type: 'loading', jobId: job.jobId });
  const source = await sourceFor(job.jobId, job.key);
  const loaded = loadSlot(activeEngine, activeConfig, job.key, source.name, source.code, job.timeoutMs);
  loadedSinceCheck = true;
  if ('failure' in loaded) {
    const failure = loaded.failure;
    return {
      fault:
        failure.kind === 'fault'
          ? faultResult(failure.code, `tool "${source.name}" could not be loaded: ${failure.message}`)
          : faultResult('CRASHED', `tool "${source.name}" could not be loaded again: ${failure.kind === 'syntax' ? failure.message : 'its default export is not a function'}`),
    };
  }
  if (job.isolation === 'warm') keep(loaded.slot, activeConfig.maxWarmTools);
  return { slot: loaded.slot };
}

async function handleRun(job: Extract<HostMessage, { type: 'run' }>, activeConfig: WorkerConfig, activeEngine: LoadedEngine): Promise<void> {
  const grant: FetchGrant = { origins: new Set(job.origins), ...activeConfig.fetch };
  const pending: { index: number; result: WireResult }[] = [];
  // A single case needs no record: if the worker dies, that case was the one running. In a
  // batch, each case is marked running before it starts (one pwrite); it is marked done only
  // before a send, the one step between cases that takes time (the next mark overwrites it).
  const tracked = job.inputs.length > 1;
  let pendingSince = 0;
  let pendingBytes = 0;
  const flush = (): void => {
    pendingBytes = 0;
    if (pending.length > 0) send({ type: 'results', jobId: job.jobId, results: pending.splice(0) });
  };
  const report = (index: number, result: WireResult): void => {
    pending.push({ index, result });
    pendingBytes += result.ok ? result.json.length : result.message.length;
    const now = performance.now();
    if (pending.length === 1) pendingSince = now;
    if (job.reportEach || pending.length >= FLUSH_AFTER_RESULTS || pendingBytes >= FLUSH_AFTER_BYTES || now - pendingSince >= FLUSH_AFTER_MS) {
      // Sending takes a moment: should the worker die in it, no finished case is to blame.
      if (tracked) markProgress(job.jobId, index, PROGRESS_DONE);
      flush();
    }
  };
  let slot: ToolSlot | undefined;
  const budget = new OutputBudget(activeConfig, slots.get(job.key)?.name ?? sources.get(job.key)?.name ?? 'tool');
  for (let index = 0; index < job.inputs.length; index += 1) {
    if (cancelled.has(job.jobId)) {
      report(index, faultResult('TIMEOUT', 'the run was aborted through its signal'));
      continue;
    }
    if (budget.spent) {
      report(index, faultResult('OUTPUT_TOO_LARGE', budget.notRun().message));
      continue;
    }
    if (tracked) markProgress(job.jobId, index, PROGRESS_RUNNING);
    const found = warmSlot(job, slot, activeConfig) ?? (await slotFor(job, activeConfig, activeEngine, flush));
    if ('fault' in found) {
      if (tracked) markProgress(job.jobId, index, PROGRESS_DONE);
      report(index, found.fault);
      slot = undefined;
      continue;
    }
    slot = found.slot;
    const input = job.inputs[index] ?? 'null';
    activeJobId = job.jobId;
    activeSlot = slot;
    const result = await slot.run(input, job.timeoutMs, grant);
    activeJobId = undefined;
    activeSlot = undefined;
    report(index, admit(budget, result));
    if (slot.isDisposed || job.isolation === 'per-run' || forgotten.has(job.key)) drop(slot);
  }
  if (tracked) markProgress(job.jobId, job.inputs.length - 1, PROGRESS_DONE);
  flush();
  cancelled.delete(job.jobId);
  forgotten.delete(job.key);
}

/** A result as the call's output budget lets it through: over budget, it becomes `OUTPUT_TOO_LARGE` (and is never sent). */
function admit(budget: OutputBudget, result: WireResult): WireResult {
  const logs = budget.admitLogs(result.logs);
  if (!result.ok) return logs === result.logs ? result : { ...result, logs };
  const refusal = budget.admit(result.json);
  if (refusal === undefined) return logs === result.logs ? result : { ...result, logs };
  return { ok: false, code: 'OUTPUT_TOO_LARGE', message: refusal.message, durationMs: result.durationMs, logs };
}

async function work(): Promise<void> {
  if (working) return;
  working = true;
  try {
    for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) {
      if (config === undefined || engine === undefined) continue;
      if (job.type === 'load') handleLoad(job, config, engine);
      else await handleRun(job, config, engine);
      enforceMemoryBudget(config, job.type === 'load');
    }
  } finally {
    working = false;
  }
  scheduleSpare();
}

function shutdown(): void {
  for (const slot of slots.values()) slot.dispose();
  slots.clear();
  spare?.dispose();
  process.exit(0);
}

process.on('message', (raw) => {
  const message = raw as HostMessage;
  switch (message.type) {
    case 'init': {
      config = message.config;
      progressFd = typeof config.progressFd === 'number' ? config.progressFd : undefined;
      const loaded = loadEngine(config.isolatedVmModules);
      engine = loaded.engine;
      if (engine === undefined) send({ type: 'unavailable', attempts: loaded.attempts });
      else {
        send({ type: 'ready', engine: engine.name, attempts: loaded.attempts });
        scheduleSpare();
      }
      return;
    }
    case 'load':
    case 'run':
      jobs.push(message);
      void work();
      return;
    case 'code': {
      const resolve = awaitingCode.get(message.jobId);
      awaitingCode.delete(message.jobId);
      resolve?.({ name: message.name, code: message.code });
      return;
    }
    case 'cancel':
      if (activeJobId === message.jobId || jobs.some((job) => job.jobId === message.jobId)) cancelled.add(message.jobId);
      if (activeJobId === message.jobId) activeSlot?.abortCurrent('the run was aborted through its signal');
      return;
    case 'forget': {
      sources.delete(message.key);
      const slot = slots.get(message.key);
      if (slot === undefined) return;
      if (slot === activeSlot) forgotten.add(message.key);
      else drop(slot);
      return;
    }
    case 'ping':
      send({ type: 'pong', id: message.id });
      return;
    case 'exit':
      shutdown();
      return;
  }
});

// The host went away: nothing is left to serve.
process.on('disconnect', shutdown);
