/* global process, setInterval, clearInterval */
// One instance of a fleet, for fleet.int.test.ts and bench/fleet.bench.mjs: Toolwright on the
// built dist, on a PostgreSQL schema shared with the other instances, serving and working
// improvement jobs. It quotes every key once (v1 degrades), then reports on stdout, one line
// each: READY, HOLDING (it took the improvement job first and stops mid-cycle, after the
// diagnosis, until killed), IMPROVED <outcome> (it finished a job), ACTIVE <version> <epoch ms>
// (its registry reader sees a new active version), SERVED <versions> (a call after that).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScriptedModel } from '@toolwright/core/testing';
import { createTransformRewriter } from '@toolwright/rewriter';
import { createToolwright } from '../../dist/index.js';

const { FLEET_DATABASE: url, FLEET_SCHEMA: schema, FLEET_ORIGIN: origin, FLEET_HOLD_DIR: holdDir, FLEET_KEYS: keysText } = process.env;
const keys = JSON.parse(keysText ?? '[]');
const say = (line) => process.stdout.write(`${line}\n`);
const calls = (list) => list.map((key) => ({ toolCalls: [{ name: 'get_quote', input: { key } }] }));
const transform = createTransformRewriter();
const rewriter = {
  async propose(request) {
    if (holdDir !== undefined) {
      try {
        // The first instance to get here holds the job, mid-cycle, until the test kills it.
        writeFileSync(join(holdDir, 'held'), String(process.pid), { flag: 'wx' });
        say('HOLDING');
        await new Promise(() => {});
      } catch (error) {
        if (error.code !== 'EEXIST') throw error;
      }
    }
    return transform.propose(request);
  },
};

const tw = await createToolwright({
  database: url,
  databaseOptions: { schema },
  model: new ScriptedModel({ script: [...calls(keys), { text: 'done' }, ...calls(keys.slice(0, 1)), { text: 'done' }] }),
  network: { allow: [origin] },
  sandbox: { timeoutMs: 10_000 },
  improve: { everyNCalls: keys.length, inBackground: true, lastN: 50 },
  evaluator: { rewriteBelow: 0.8 },
  heldOutShare: 0.34,
  reflect: false,
  learnRules: false,
  shadow: false,
  rewriter,
  worker: { concurrency: 1, expireInSeconds: 4, maintenanceIntervalSeconds: 1, retryDelaySeconds: 0, pollingIntervalSeconds: 0.5 },
  onEvent: (event) => {
    if (event.type === 'improvement') say(`IMPROVED ${event.report.tools.map((tool) => tool.outcome).join(',')}`);
  },
});
say('READY');
await tw.run('Quote every key');
await tw.idle();
say('QUOTED');

let seen = (await tw.registry.active('get_quote'))?.version;
let busy = false;
const watch = setInterval(async () => {
  if (busy) return;
  busy = true;
  try {
    const version = (await tw.registry.active('get_quote'))?.version;
    if (version === seen) return;
    seen = version;
    say(`ACTIVE ${version} ${Date.now()}`);
    const next = await tw.run('Quote the first key again');
    say(`SERVED ${JSON.stringify(next.toolCalls.map((call) => call.version))}`);
  } finally {
    busy = false;
  }
}, 10);

const stop = async () => {
  clearInterval(watch);
  await tw.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
