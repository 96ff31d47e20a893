/**
 * The worker process: started by the host with `--no-node-snapshot`, it loads isolated-vm,
 * keeps compiled tools warm in their own isolates, and runs one job at a time. Anything that
 * goes badly wrong in here ends this process only; the host reports it and starts another.
 */
import type { HostMessage, LoadFailure, WireResult, WorkerConfig, WorkerMessage } from '../protocol.js';
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
const jobs: Job[] = [];
let working = false;
let activeJobId: number | undefined;
let activeSlot: ToolSlot | undefined;
/** An isolate with the guest runtime already in it, made while idle, so a compile skips that cost. */
let spare: ToolSlot | undefined;
let spareScheduled = false;

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

function handleLoad(job: Extract<HostMessage, { type: 'load' }>, activeConfig: WorkerConfig, activeEngine: LoadedEngine): void {
  remember(job.key, { name: job.name, code: job.code });
  const existing = slots.get(job.key);
  if (existing !== undefined && !existing.isDisposed) {
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
 * messages, not a thousand), at most {@link FLUSH_AFTER_MS} after the first one was ready,
 * so the host's watchdog always sees progress. With `reportEach` every result goes at once,
 * which the host asks for after a crash, to tell exactly which case caused it.
 */
const FLUSH_AFTER_RESULTS = 64;
const FLUSH_AFTER_MS = 2;

async function handleRun(job: Extract<HostMessage, { type: 'run' }>, activeConfig: WorkerConfig, activeEngine: LoadedEngine): Promise<void> {
  const grant: FetchGrant = { origins: new Set(job.origins), ...activeConfig.fetch };
  const pending: { index: number; result: WireResult }[] = [];
  let pendingSince = 0;
  const flush = (): void => {
    if (pending.length > 0) send({ type: 'results', jobId: job.jobId, results: pending.splice(0) });
  };
  const report = (index: number, result: WireResult): void => {
    pending.push({ index, result });
    const now = performance.now();
    if (pending.length === 1) pendingSince = now;
    if (job.reportEach || pending.length >= FLUSH_AFTER_RESULTS || now - pendingSince >= FLUSH_AFTER_MS) flush();
  };
  let slot: ToolSlot | undefined;
  for (let index = 0; index < job.inputs.length; index += 1) {
    if (cancelled.has(job.jobId)) {
      report(index, faultResult('TIMEOUT', 'the run was aborted through its signal'));
      continue;
    }
    if (slot === undefined || slot.isDisposed) {
      slot = slots.get(job.key);
      if (slot === undefined || slot.isDisposed) {
        // Loading runs top-level code under its own deadline: tell the host's watchdog first.
        flush();
        send({ type: 'loading', jobId: job.jobId });
        const source = await sourceFor(job.jobId, job.key);
        const loaded = loadSlot(activeEngine, activeConfig, job.key, source.name, source.code, job.timeoutMs);
        if ('failure' in loaded) {
          const failure = loaded.failure;
          report(
            index,
            failure.kind === 'fault'
              ? faultResult(failure.code, `tool "${source.name}" could not be loaded: ${failure.message}`)
              : faultResult('CRASHED', `tool "${source.name}" could not be loaded again: ${failure.kind === 'syntax' ? failure.message : 'its default export is not a function'}`),
          );
          slot = undefined;
          continue;
        }
        slot = loaded.slot;
      }
      keep(slot, activeConfig.maxWarmTools);
    }
    const input = job.inputs[index] ?? 'null';
    activeJobId = job.jobId;
    activeSlot = slot;
    const result = await slot.run(input, job.timeoutMs, grant);
    activeJobId = undefined;
    activeSlot = undefined;
    report(index, result);
    if (slot.isDisposed) drop(slot);
  }
  flush();
  cancelled.delete(job.jobId);
}

async function work(): Promise<void> {
  if (working) return;
  working = true;
  try {
    for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) {
      if (config === undefined || engine === undefined) continue;
      if (job.type === 'load') handleLoad(job, config, engine);
      else await handleRun(job, config, engine);
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
    case 'exit':
      shutdown();
      return;
  }
});

// The host went away: nothing is left to serve.
process.on('disconnect', shutdown);
