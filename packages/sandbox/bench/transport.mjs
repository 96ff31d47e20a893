// The sandbox's warm call next to its floor, from one interleaved run (issue 15):
//   direct call · isolated-vm in-process · raw round trips (forked child, JSON IPC and advanced
//   serialisation; worker_threads) · sandbox.run of the same small pure tool;
// then runMany(1,000) and cold compile. Every round of the warm loop calls each method once,
// in a rotating order, so they all see the same load.
// Run from the package: `pnpm bench:transport` (builds first), or after `npx tsup`:
//   node --no-node-snapshot bench/transport.mjs [--calls=3000] [--warm=1000]
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createSandbox } from '../dist/index.js';

const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=')).map(([key, value]) => [key, value ?? 'true']));
const calls = Number(args.get('calls') ?? 3_000);
const warm = Number(args.get('warm') ?? 1_000);
const require = createRequire(import.meta.url);
const ivmName = ['isolated-vm-v6', 'isolated-vm-v5', 'isolated-vm'].find((name) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
});
const ivm = require(ivmName);
const echo = new URL('./echo-child.cjs', import.meta.url);

const TOOL = 'export default ({ fares }: { fares: number[] }) => fares.reduce((a, b) => a + b, 0);';
const direct = ({ fares }) => fares.reduce((a, b) => a + b, 0);
const input = { fares: [229.92, 360.67] };
const inputJson = JSON.stringify(input);
// What the host sends the worker for one warm call, and roughly what it gets back.
const RUN_MESSAGE = { type: 'run', jobId: 1, key: 'total_fares@0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef||warm|1', isolation: 'warm', inputs: [inputJson], timeoutMs: 1000, origins: [], reportEach: false };

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const micros = (ms) => (ms < 0.001 ? `${(ms * 1_000_000).toFixed(1)} ns` : `${(ms * 1000).toFixed(1)} µs`);

function roundTripper(send, subscribe) {
  let answer;
  subscribe(() => answer());
  return () =>
    new Promise((resolve) => {
      answer = resolve;
      send();
    });
}

const json = fork(echo, [], { execArgv: ['--no-node-snapshot'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
const advanced = fork(echo, [], { execArgv: ['--no-node-snapshot'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
const thread = new Worker(echo);
await Promise.all([json, advanced].map((child) => new Promise((resolve) => child.once('spawn', resolve))));

const isolate = new ivm.Isolate({ memoryLimit: 64 });
const context = isolate.createContextSync();
const inIsolate = context.evalSync(`(json) => { const { fares } = JSON.parse(json); return JSON.stringify(fares.reduce((a, b) => a + b, 0)); }`, { reference: true });

const sandbox = createSandbox();
const tool = await sandbox.compile({ name: 'total_fares', source: TOOL });

let sink = 0;
const methods = {
  direct: () => {
    sink += direct(input);
  },
  'isolated-vm in-process (applySync, JSON in and out, with a timeout)': () => {
    sink += Number(inIsolate.applySync(undefined, [inputJson], { timeout: 1000 }));
  },
  'raw round trip: forked child, JSON IPC': roundTripper(
    () => json.send(RUN_MESSAGE),
    (on) => json.on('message', on),
  ),
  'raw round trip: forked child, advanced serialisation': roundTripper(
    () => advanced.send(RUN_MESSAGE),
    (on) => advanced.on('message', on),
  ),
  'raw round trip: worker_threads': roundTripper(
    () => thread.postMessage(RUN_MESSAGE),
    (on) => thread.on('message', on),
  ),
  // The same bare message to the sandbox's own worker process (no isolate): its transport's
  // round trip on the very process, CPU placement and channel that sandbox.run uses.
  "raw round trip: the sandbox's own worker (sandbox.ping)": async () => {
    if ((await sandbox.ping()) === undefined) throw new Error('no idle worker to ping');
  },
  'sandbox.run': async () => {
    const result = await sandbox.run(tool, input);
    if (!result.ok) throw new Error(`sandbox.run failed: ${result.error.message}`);
  },
};
const only = args.get('only')?.split(',');
const names = Object.keys(methods).filter((name, index) => only === undefined || only.includes(String(index)));
const times = Object.fromEntries(names.map((name) => [name, []]));
for (let round = 0; round < warm + calls; round += 1) {
  for (let k = 0; k < names.length; k += 1) {
    const name = names[(round + k) % names.length];
    const started = performance.now();
    await methods[name]();
    const elapsed = performance.now() - started;
    if (round >= warm) times[name].push(elapsed);
  }
}
const medians = {};
for (const name of names) {
  times[name].sort((a, b) => a - b);
  medians[name] = percentile(times[name], 0.5);
}

// runMany of 1,000 cases, and cold compile (a new tool each time, after a short pause).
const inputs = Array.from({ length: 1_000 }, (_, i) => ({ fares: [i, i / 2, 3] }));
const batches = [];
for (let i = 0; i < 25; i += 1) {
  const started = performance.now();
  const results = await sandbox.runMany(tool, inputs);
  if (i >= 5) batches.push(performance.now() - started);
  if (results.some((result) => !result.ok)) throw new Error('a batch case failed');
}
batches.sort((a, b) => a - b);
const compiles = [];
for (let i = 0; i < 40; i += 1) {
  await new Promise((resolve) => setTimeout(resolve, 30));
  const started = performance.now();
  await sandbox.compile({ name: 'cold', source: `export default ({ fares }: { fares: number[] }) => fares.length + ${i};` });
  compiles.push(performance.now() - started);
}
compiles.sort((a, b) => a - b);

await sandbox.dispose();
json.kill();
advanced.kill();
await thread.terminate();
isolate.dispose();
if (sink === 42) console.log('');

const floor = medians["raw round trip: the sandbox's own worker (sandbox.ping)"] ?? Number.NaN;
const childFloor = medians['raw round trip: forked child, JSON IPC'] ?? Number.NaN;
const [cpu] = cpus();
console.log(`\nNode ${process.version}, ${ivmName}, ${availableParallelism()} × ${cpu?.model ?? 'unknown CPU'}, load average ${loadavg().map((load) => load.toFixed(1)).join(' ')} at the end`);
console.log(`${calls.toLocaleString('en')} warm calls of each, interleaved (after ${warm.toLocaleString('en')} to warm up)\n`);
console.log('| measure | median | p90 |\n|---|---|---|');
for (const name of names) console.log(`| ${name} | ${micros(medians[name])} | ${micros(percentile(times[name], 0.9))} |`);
console.log(`| **sandbox.run ÷ raw round trip of its transport (the same worker process, JSON IPC)** | **${(medians['sandbox.run'] / floor).toFixed(2)}×** (goal ≤ 1.2) | |`);
console.log(`| sandbox.run ÷ raw round trip to a separate forked child (JSON IPC) | ${(medians['sandbox.run'] / childFloor).toFixed(2)}× | |`);
console.log(`| runMany, 1,000 cases (median of 20) | ${percentile(batches, 0.5).toFixed(1)} ms (goal ≤ 20 ms) | ${percentile(batches, 0.9).toFixed(1)} ms |`);
console.log(`| cold compile after a 30 ms pause (median of 40) | ${percentile(compiles, 0.5).toFixed(2)} ms | ${percentile(compiles, 0.9).toFixed(2)} ms |`);
