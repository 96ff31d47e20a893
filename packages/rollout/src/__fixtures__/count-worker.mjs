/* global process, console */
// One rollout instance in its own OS process: records `calls` outcomes on the live experiment
// of `artifact` and on a bandit, flushing every 50 calls, then prints "done".
// Usage: node count-worker.mjs <postgres-url> <schema> <artifact> <calls> <seed>
import { openDatabase } from '@toolwright/store';
import { createRollout, seededRandom } from '../../dist/index.js';

const [url, schema, artifact, calls, seed] = process.argv.slice(2);
const db = await openDatabase(url, { schema });
const rollout = await createRollout({ database: db, random: seededRandom(Number(seed)), flushIntervalMs: 0 });
for (let call = 0; call < Number(calls); call++) {
  const assignment = rollout.serve(artifact);
  if (assignment === undefined) throw new Error(`no live experiment on ${artifact}`);
  rollout.record(assignment, { success: true, latencyMs: 3 });
  rollout.recordArm(rollout.selectArm('booking', ['x', 'y']), { success: true });
  if (call % 50 === 49) await rollout.flush();
}
await rollout.close();
await db.close();
console.log('done');
