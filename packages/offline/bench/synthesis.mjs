// Benchmark: how long the offline model takes on representative tasks.
// Run from packages/offline after a build:  npx pnpm@9.15.9 --filter @toolwright/offline build && node bench/synthesis.mjs
// Prints one row per task: the program found, its size, candidate programs tried, and the
// median / max wall time of the search over RUNS runs (plus the model's reuse decision).
import { offlineModel, synthesizeTool } from '../dist/index.js';

const RUNS = Number(process.env.RUNS ?? 7);

const fare = (from, to, price, carrier) => ({ from, to, price, carrier });
const SETS = [
  [fare('LHR', 'JFK', 229.92, 'BA'), fare('LHR', 'CDG', 360.67, 'AF'), fare('MAN', 'AMS', 118.4, 'KL')],
  [fare('LHR', 'DXB', 512.1, 'EK'), fare('LGW', 'BCN', 89.99, 'VY')],
  [fare('EDI', 'DUB', 74.5, 'FR'), fare('LHR', 'SFO', 640, 'BA'), fare('LHR', 'LIS', 301.2, 'TP'), fare('STN', 'BER', 300, 'FR')],
];
const TASK = [fare('LHR', 'HND', 812.45, 'JL'), fare('LGW', 'FCO', 143.2, 'U2'), fare('LHR', 'ORD', 455, 'AA'), fare('MAN', 'DOH', 398.75, 'QR')];
const prices = (fares) => fares.map((item) => item.price);
const sum = (values) => values.reduce((total, value) => total + value, 0);
const byFares = (truth) => SETS.map((fares) => ({ input: { fares }, output: truth(fares) }));
const byList = (truth) => SETS.map((fares) => ({ input: prices(fares), output: truth(prices(fares)) }));

const tasks = [
  { name: 'total the fares', text: 'Total the fares', input: { fares: TASK }, examples: byFares((fares) => sum(prices(fares))) },
  { name: 'count those over 300', text: 'Count the fares over 300', input: { fares: TASK }, examples: byFares((fares) => fares.filter((item) => item.price > 300).length) },
  { name: 'sum the cheapest two', text: 'Sum the cheapest two fares', input: { fares: TASK }, examples: byFares((fares) => sum(prices(fares).sort((a, b) => a - b).slice(0, 2))) },
  { name: 'plain list: total', text: 'Total these prices', input: prices(TASK), examples: byList(sum) },
  { name: 'plain list: count over 300', text: 'How many are over 300?', input: prices(TASK), examples: byList((values) => values.filter((value) => value > 300).length) },
  {
    name: 'total per carrier',
    text: 'Total per carrier',
    input: { fares: TASK },
    examples: byFares((fares) => Object.fromEntries([...new Set(fares.map((item) => item.carrier))].map((carrier) => [carrier, sum(prices(fares.filter((item) => item.carrier === carrier)))]))),
  },
  { name: 'price range (size 9)', text: 'Price range', input: { fares: TASK }, examples: byFares((fares) => Math.max(...prices(fares)) - Math.min(...prices(fares))) },
  { name: 'impossible (gives up)', text: 'Sum of squares', input: prices(TASK), examples: byList((values) => sum(values.map((value) => value * value))) },
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = [];
for (const task of tasks) {
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

// Reuse: the model's first turn when the tool written for "total the fares" is active.
const first = synthesizeTool({ text: tasks[0].text, input: tasks[0].input, examples: tasks[0].examples });
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
