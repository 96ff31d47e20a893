/* global console, performance, process */
// Benchmark: how long the offline model takes on representative tasks.
// Run from packages/offline after a build:  npx pnpm@9.15.9 --filter @toolwright/offline build && node bench/synthesis.mjs
// Prints one row per task: the program found, its size, candidate programs tried, and the
// median / max wall time of the search over RUNS runs (plus the model's reuse decision).
// The rows not marked "(added)" are the corpus every change is compared on; the "(added)" rows
// (aggregates with rounding, issue 20) came later. OFFLINE_DIST=<path to an index.js>
// benchmarks another build (e.g. one of the previous sources) for a before/after comparison.
import { added, byFares, corpus, prices, sum, TASK } from './corpus.mjs';

const { offlineModel, synthesizeTool } = await import(process.env.OFFLINE_DIST ?? '../dist/index.js');

const RUNS = Number(process.env.RUNS ?? 7);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = [];
for (const task of corpus) {
  const times = [];
  let last;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    last = synthesizeTool({ text: task.text, input: task.input, examples: task.examples });
    times.push(performance.now() - started);
  }
  rows.push({
    task: task.name,
    result: last.ok ? last.program : `cannot: ${last.reason}`,
    size: last.ok ? last.size : '',
    programs: last.programsTried,
    'median ms': median(times).toFixed(1),
    'max ms': Math.max(...times).toFixed(1),
  });
}

for (const task of added) {
  const times = [];
  let last;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    last = synthesizeTool({ text: task.text, input: task.input, examples: task.examples });
    times.push(performance.now() - started);
  }
  rows.push({
    task: `(added) ${task.name}`,
    result: last.ok ? last.program : `cannot: ${last.reason}`,
    size: last.ok ? last.size : '',
    programs: last.programsTried,
    'median ms': median(times).toFixed(1),
    'max ms': Math.max(...times).toFixed(1),
  });
}

// Reuse: the model's first turn when the tool written for "total the fares" is active.
const first = synthesizeTool({ text: corpus[0].text, input: corpus[0].input, examples: corpus[0].examples });
const tool = { name: first.spec.name, description: first.spec.description, inputSchema: first.spec.inputSchema };
const model = offlineModel();
const reuseTimes = [];
let reply;
for (let run = 0; run < RUNS; run++) {
  const started = performance.now();
  reply = await model.generate({
    messages: [{ role: 'user', content: 'Total the fares again' }],
    tools: [tool],
    task: { text: 'Total the fares again', input: { fares: TASK }, examples: byFares((fares) => sum(prices(fares))).slice(1) },
  });
  reuseTimes.push(performance.now() - started);
}
rows.push({
  task: 'total again (reuse)',
  result: `calls ${reply.toolCalls.map((call) => call.name).join(', ')}`,
  size: '',
  programs: 0,
  'median ms': median(reuseTimes).toFixed(1),
  'max ms': Math.max(...reuseTimes).toFixed(1),
});

console.log(`Node ${process.version}, ${RUNS} runs per task, default limits`);
console.table(rows);
