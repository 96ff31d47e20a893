// Benchmarks of @toolwright/sandbox (run from the package: `pnpm bench`, which builds first).
// Options: --cycles=N (memory cycles, default 10000), --quick (smaller counts, for a smoke run).
// Prints a Markdown table; the README records one run with the machine it ran on.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { checkStaticGate, createSandbox } from '../dist/index.js';

const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=')).map(([key, value]) => [key, value ?? 'true']));
const quick = args.has('quick');
const cycles = Number(args.get('cycles') ?? (quick ? 500 : 10_000));
const gc = globalThis.gc ?? (() => undefined);
if (globalThis.gc === undefined) console.warn('run with --expose-gc for the memory numbers (pnpm bench does)');

const rows = [];
const row = (what, value, goal = '') => {
  rows.push([what, value, goal]);
  console.error(`${what}: ${value}${goal ? ` (goal ${goal})` : ''}`);
};
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const micros = (ms) => (ms < 0.001 ? `${(ms * 1_000_000).toFixed(1)} ns` : `${(ms * 1000).toFixed(1)} µs`);
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const rssOf = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
  } catch {
    return Number.NaN;
  }
};
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const TOOL = 'export default ({ fares }: { fares: number[] }) => fares.reduce((a, b) => a + b, 0);';
const direct = ({ fares }) => fares.reduce((a, b) => a + b, 0);

// 0. The floor: a bare Node IPC round trip to an idle child process, measured in the same run.
{
  const child = spawn(process.execPath, ['-e', "process.on('message', (m) => process.send(m)); process.on('disconnect', () => process.exit(0));"], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  let answer = () => undefined;
  child.on('message', () => answer());
  const times = [];
  for (let i = 0; i < (quick ? 3_000 : 11_000); i += 1) {
    const started = performance.now();
    await new Promise((resolve) => {
      answer = resolve;
      child.send({ type: 'run', jobId: i, inputs: ['{"fares":[229.92,360.67]}'] });
    });
    if (i >= 1_000) times.push(performance.now() - started);
  }
  child.kill();
  times.sort((a, b) => a - b);
  row('floor: bare Node IPC round trip to an idle child: median', micros(percentile(times, 0.5)));
}

// 1. Warm call through the whole path, and the same function called in-process.
{
  const sandbox = createSandbox();
  const tool = await sandbox.compile({ name: 'total_fares', source: TOOL });
  const input = { fares: [229.92, 360.67] };
  const count = quick ? 2_000 : 10_000;
  for (let i = 0; i < 1_000; i += 1) await sandbox.run(tool, input);
  const times = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const result = await sandbox.run(tool, input);
    times.push(performance.now() - started);
    if (!result.ok) throw new Error(`warm call failed: ${result.error.message}`);
  }
  times.sort((a, b) => a - b);
  const directTimes = [];
  let sink = 0;
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    for (let j = 0; j < 100; j += 1) sink += direct(input);
    directTimes.push((performance.now() - started) / 100);
  }
  directTimes.sort((a, b) => a - b);
  if (sink === 42) console.log('');
  const median = percentile(times, 0.5);
  row('warm call, host → worker → isolate → host: median', micros(median), '≤ 100 µs');
  row('warm call: p99', micros(percentile(times, 0.99)));
  row('direct in-process call: median', micros(percentile(directTimes, 0.5)));
  row('warm call ÷ direct call (medians)', `${Math.round(median / percentile(directTimes, 0.5)).toLocaleString('en')}×`);

  // 2. Batch: 1,000 cases through runMany.
  const inputs = Array.from({ length: 1_000 }, (_, i) => ({ fares: [i, i / 2, 3] }));
  const batches = [];
  for (let i = 0; i < (quick ? 5 : 20); i += 1) {
    const started = performance.now();
    const results = await sandbox.runMany(tool, inputs);
    batches.push(performance.now() - started);
    if (results.some((result) => !result.ok)) throw new Error('a batch case failed');
  }
  batches.sort((a, b) => a - b);
  row('runMany, 1,000 cases: median', `${percentile(batches, 0.5).toFixed(1)} ms`, '< 100 ms');
  await sandbox.dispose();
}

// 3. Cold compile: a new tool each time (transpile, gate, isolate, load). After a pause, the worker
//    has an isolate with the guest runtime ready; back to back, it is still preparing one.
{
  const sandbox = createSandbox();
  await sandbox.run(await sandbox.compile({ name: 'warm_up', source: TOOL }), { fares: [1] });
  const pause = () => new Promise((resolve) => setTimeout(resolve, 30));
  const idle = [];
  const backToBack = [];
  for (let i = 0; i < (quick ? 50 : 300); i += 1) {
    await pause();
    let started = performance.now();
    await sandbox.compile({ name: 'cold', source: `export default ({ fares }: { fares: number[] }) => fares.length + ${i};` });
    idle.push(performance.now() - started);
    started = performance.now();
    await sandbox.compile({ name: 'cold_again', source: `export default ({ fares }: { fares: number[] }) => fares.length - ${i};` });
    backToBack.push(performance.now() - started);
  }
  idle.sort((a, b) => a - b);
  backToBack.sort((a, b) => a - b);
  row('cold compile after a pause: median', `${percentile(idle, 0.5).toFixed(2)} ms`, '≤ 10 ms');
  row('cold compile after a pause: p99', `${percentile(idle, 0.99).toFixed(2)} ms`);
  row('cold compile right after another: median', `${percentile(backToBack, 0.5).toFixed(2)} ms`);
  await sandbox.dispose();
}

// 4. Restart after a crash: a string-keyed Map bomb takes the worker down; time until the next run succeeds.
{
  const sandbox = createSandbox({ memoryLimitMb: 16, timeoutMs: 30_000 });
  const bomb = await sandbox.compile({ name: 'bomb', source: 'export default () => { const m = new Map(); for (let i = 0; ; i++) m.set("k" + i, i); };' });
  const tool = await sandbox.compile({ name: 'total_fares', source: TOOL });
  const times = [];
  for (let i = 0; i < (quick ? 2 : 5); i += 1) {
    const crashed = await sandbox.run(bomb, null);
    if (crashed.ok || crashed.error.code !== 'MEMORY_LIMIT') throw new Error(`expected MEMORY_LIMIT, got ${JSON.stringify(crashed)}`);
    const started = performance.now();
    const result = await sandbox.run(tool, { fares: [1, 2] });
    times.push(performance.now() - started);
    if (!result.ok) throw new Error('the run after the crash failed');
  }
  times.sort((a, b) => a - b);
  row('restart after a crash, until the next run succeeds: median', `${percentile(times, 0.5).toFixed(1)} ms`);
  row('worker restarts during that', String(sandbox.stats().restarts));
  await sandbox.dispose();
}

// 5. Memory over compile/run cycles (every cycle a new tool, so isolates are created and evicted),
//    then over create/compile/run/dispose cycles of whole sandboxes.
{
  const sandbox = createSandbox();
  const cycle = async (i) => {
    const tool = await sandbox.compile({ name: 'cycle', source: `export default (x: number) => x + ${i};` });
    const result = await sandbox.run(tool, 1);
    if (!result.ok || result.value !== i + 1) throw new Error(`cycle ${i} failed`);
  };
  // Warm-up: the JIT, inline caches and V8's hidden-class bookkeeping grow once.
  const warmUp = Math.min(1_000, cycles);
  for (let i = 0; i < warmUp; i += 1) await cycle(i);
  const pid = sandbox.stats().pids[0];
  const heaps = [heapAfterGc()];
  const rss = [rssOf(pid)];
  const started = performance.now();
  const half = Math.floor(cycles / 2);
  for (let i = 0; i < cycles; i += 1) {
    await cycle(warmUp + i);
    if (i + 1 === half || i + 1 === cycles) {
      heaps.push(heapAfterGc());
      rss.push(rssOf(pid));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const perCycle = (from, to, count) => `${((to - from) / count).toFixed(0)} B/cycle`;
  row(
    `host heap over ${cycles.toLocaleString('en')} compile/run cycles (after ${warmUp.toLocaleString('en')} to warm up)`,
    `${mb(heaps[0])} → ${mb(heaps[1])} → ${mb(heaps[2])}: ${perCycle(heaps[0], heaps[1], half)} in the first half, ${perCycle(heaps[1], heaps[2], cycles - half)} in the second`,
    'no growth',
  );
  row('worker RSS over the same cycles', `${mb(rss[0])} → ${mb(rss[1])} → ${mb(rss[2])}`);
  row('compile/run cycle: mean', `${((seconds * 1000) / cycles).toFixed(2)} ms`);
  await sandbox.dispose();

  const sandboxCycles = quick ? 20 : 200;
  const handlesBefore = process.getActiveResourcesInfo().length;
  const disposeHeapBefore = heapAfterGc();
  for (let i = 0; i < sandboxCycles; i += 1) {
    const short = createSandbox();
    await short.run(await short.compile({ name: 'short', source: TOOL }), { fares: [i] });
    await short.dispose();
  }
  const disposeHeapAfter = heapAfterGc();
  row(
    `host heap over ${sandboxCycles} create/compile/run/dispose cycles`,
    `${mb(disposeHeapBefore)} → ${mb(disposeHeapAfter)}; active handles ${handlesBefore} → ${process.getActiveResourcesInfo().length}`,
    'no growth',
  );
}

// 6. The host's event loop while 256 KiB sources are compiled: the gate runs in a thread, so the
//    loop keeps turning; the same gate run in place (checkStaticGate) blocks it for its whole time.
{
  const sandbox = createSandbox({ timeoutMs: 5_000 });
  await sandbox.run(await sandbox.compile({ name: 'warm_up', source: TOOL }), { fares: [1] });
  const budget = 256 * 1024 - 64;
  const sources = {
    'a 256 KiB table': `const TABLE = [${'7,'.repeat((budget - 60) / 2)}];\nexport default () => TABLE.length;`,
    'a 256 KiB member chain (refused)': `export default (a) => a${'.b'.repeat((budget - 30) / 2)};`,
    'a 256 KiB bracket nest (refused)': `export default () => ${'['.repeat((budget - 30) / 2)}${']'.repeat((budget - 30) / 2)};`,
  };
  for (const [label, source] of Object.entries(sources)) {
    const inPlace = [];
    const delays = [];
    for (let i = 0; i < (quick ? 3 : 10); i += 1) {
      let started = performance.now();
      checkStaticGate(source);
      inPlace.push(performance.now() - started);
      const histogram = monitorEventLoopDelay({ resolution: 5 });
      histogram.enable();
      started = performance.now();
      await sandbox.compile({ name: 'big', source }).catch(() => undefined);
      histogram.disable();
      delays.push(histogram.max / 1e6);
    }
    inPlace.sort((a, b) => a - b);
    delays.sort((a, b) => a - b);
    row(`${label}: the gate run in place blocks the loop (median)`, `${percentile(inPlace, 0.5).toFixed(0)} ms`);
    row(`${label}: longest event-loop delay during compile (median of runs)`, `${percentile(delays, 0.5).toFixed(1)} ms`, 'no seconds');
  }
  await sandbox.dispose();
}

// 7. Isolation per run (regression candidates): each case loads the tool into a fresh isolate.
{
  const sandbox = createSandbox();
  const warm = await sandbox.compile({ name: 'total_fares', source: TOOL });
  const perRun = await sandbox.compile({ name: 'total_fares', source: TOOL, isolation: 'per-run' });
  const inputs = Array.from({ length: 100 }, (_, i) => ({ fares: [i, 2] }));
  await sandbox.runMany(warm, inputs);
  await sandbox.runMany(perRun, inputs);
  const times = { warm: [], perRun: [] };
  for (let i = 0; i < (quick ? 3 : 10); i += 1) {
    let started = performance.now();
    await sandbox.runMany(warm, inputs);
    times.warm.push(performance.now() - started);
    started = performance.now();
    const results = await sandbox.runMany(perRun, inputs);
    times.perRun.push(performance.now() - started);
    if (results.some((result) => !result.ok)) throw new Error('a per-run case failed');
  }
  times.warm.sort((a, b) => a - b);
  times.perRun.sort((a, b) => a - b);
  row('runMany, 100 cases, warm isolate: median', `${percentile(times.warm, 0.5).toFixed(1)} ms`);
  row('runMany, 100 cases, a fresh isolate per case: median', `${percentile(times.perRun, 0.5).toFixed(1)} ms (${(percentile(times.perRun, 0.5) / 100).toFixed(2)} ms a case)`);
  await sandbox.dispose();
}

const [cpu] = cpus();
console.log(`\nNode ${process.version}, ${availableParallelism()} × ${cpu?.model ?? 'unknown CPU'}, load average ${loadavg().map((load) => load.toFixed(1)).join(' ')} at the end\n`);
console.log('| measure | result | goal |\n|---|---|---|');
for (const [what, value, goal] of rows) console.log(`| ${what} | ${value} | ${goal} |`);
