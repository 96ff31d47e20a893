/* global process, setImmediate */
// Child process of crash.test.ts: records invocations forever with batched background flushes
// (every 100 calls or 5 ms), and after each explicit flush prints how many are committed.
// Plain Node (no TypeScript loader): it imports the package's built dist.
import { createMemory, openDatabase } from '../../dist/index.js';

const url = process.argv[2];
const db = await openDatabase(url);
const memory = await createMemory({ database: db, batchSize: 100, flushIntervalMs: 5 });
const inputHash = '0'.repeat(64);
let sequence = 0;
process.stdout.write('ready\n');
for (;;) {
  for (let i = 0; i < 250; i++) {
    memory.record({ tool: 'crash_probe', version: 1, startedAt: sequence, durationMs: 1, outcome: { ok: true }, inputHash, modelTurn: sequence });
    sequence += 1;
  }
  await memory.flush();
  process.stdout.write(`committed ${sequence}\n`);
  // Let background flushes of the next batches overlap with the parent's kill.
  await new Promise((resolve) => setImmediate(resolve));
}
