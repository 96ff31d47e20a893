/* global console, performance, process, URL */
// Before/after: the corpus searched by two builds in ONE process, runs interleaved, so both see
// the same machine load (on a shared machine, separate runs minutes apart differ by more than
// most changes do). Candidate programs tried are deterministic and compared exactly.
// Run from packages/offline:  node bench/compare.mjs <baseline index.js> [<candidate index.js>]
// A baseline of the last commit's sources:
//   mkdir -p bench/.baseline/src && git archive HEAD src | tar -x --strip-components=1 -C bench/.baseline/src
//   npx tsup bench/.baseline/src/index.ts --no-config --format esm --target node20 --platform node --out-dir bench/.baseline/dist
//   node bench/compare.mjs ./.baseline/dist/index.js
//   rm -rf bench/.baseline   (never commit it)
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { corpus } from './corpus.mjs';

const [baselinePath, candidatePath = '../dist/index.js'] = process.argv.slice(2);
if (baselinePath === undefined) {
  console.error('usage: node bench/compare.mjs <baseline index.js> [<candidate index.js>]');
  process.exit(2);
}
const load = (path) => import(path.startsWith('.') ? new URL(path, import.meta.url).href : pathToFileURL(resolve(path)).href);
const builds = [
  ['baseline', await load(baselinePath)],
  ['candidate', await load(candidatePath)],
];
const RUNS = Number(process.env.RUNS ?? 25);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const rows = [];
for (const task of corpus) {
  const times = { baseline: [], candidate: [] };
  const tried = {};
  for (let run = 0; run < RUNS; run++) {
    // Alternate which build goes first, so neither always runs on a warmer cache.
    const order = run % 2 === 0 ? builds : [...builds].reverse();
    for (const [label, build] of order) {
      const started = performance.now();
      const result = build.synthesizeTool({ text: task.text, input: task.input, examples: task.examples });
      times[label].push(performance.now() - started);
      tried[label] = result.programsTried;
    }
  }
  const before = median(times.baseline);
  const after = median(times.candidate);
  rows.push({
    task: task.name,
    'programs before': tried.baseline,
    'programs after': tried.candidate,
    'median ms before': before.toFixed(1),
    'median ms after': after.toFixed(1),
    'after / before': (after / before).toFixed(2),
  });
}
console.log(`Node ${process.version}, ${RUNS} interleaved runs per task and build, default limits`);
console.table(rows);
