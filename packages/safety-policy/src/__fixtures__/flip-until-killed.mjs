/* global process */
// Child process of kill-switch-crash.test.ts: engages and releases the kill switch forever on
// a SQLite file, each flip with a unique reason, and prints the number of each flip once it
// resolved. Plain Node (no TypeScript loader): it imports the built dist of the packages.
import { createMemory } from '@toolwright/memory';
import { openDatabase } from '@toolwright/store';
import { createPolicy } from '../../dist/index.js';

const url = process.argv[2];
const first = Number(process.argv[3]);
const database = await openDatabase(url);
const memory = await createMemory({ database });
const policy = await createPolicy({ database, audit: memory });
process.stdout.write('ready\n');
for (let flip = first; ; flip++) {
  const input = { by: 'ana', reason: `flip-${flip}` };
  if (flip % 2 === 0) await policy.killSwitch.engage(input);
  else await policy.killSwitch.release(input);
  process.stdout.write(`flipped ${flip}\n`);
}
