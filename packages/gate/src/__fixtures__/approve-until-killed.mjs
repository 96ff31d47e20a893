/* global process */
// Child process of approval-crash.test.ts. Plain Node (no TypeScript loader): it imports the
// built dist of the packages. On a SQLite file, it queues untested tools (a person must
// approve them) and applies each approval through the gate, printing `applied <n>` after each.
// Mode `loop` goes on until killed; mode `interrupt` queues one tool and kills itself with
// SIGKILL inside applyApproved, right after the approval committed and before the tool is
// promoted and the request marked applied (when the gate reads the tool's cases).
import { createMemory } from '@toolwright/memory';
import { createRegistry } from '@toolwright/registry';
import { createRegressionRunner } from '@toolwright/regression';
import { createPolicy } from '@toolwright/safety-policy';
import { createSandbox } from '@toolwright/sandbox';
import { openDatabase } from '@toolwright/store';
import { createGate } from '../../dist/index.js';

const [url, mode, firstArgument] = process.argv.slice(2);
const database = await openDatabase(url);
const memory = await createMemory({ database });
const registry = await createRegistry({ database });
// Many tools in a few seconds: lift the evolution caps (they are not what this test is about).
const policy = await createPolicy({ database, audit: memory, evolution: { changesPerHour: 100_000, maxTools: 100_000 } });
const runner = await createRegressionRunner({ sandbox: createSandbox(), database });
let armed = false;
const regression = new Proxy(runner, {
  get(target, property) {
    if (property === 'cases' && armed) return () => process.kill(process.pid, 'SIGKILL');
    const value = Reflect.get(target, property);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
const gate = await createGate({ database, registry, policy, memory, regression });

function untestedTool(name) {
  return {
    kind: 'create-tool',
    origin: 'agent',
    name,
    spec: { name, description: 'Returns its input.', inputSchema: { type: 'object' }, language: 'ts', capabilities: [], examples: [] },
    source: `export default function ${name}(input: unknown): unknown {\n  return input;\n}\n`,
  };
}

async function queue(name) {
  const queued = await gate.propose(untestedTool(name), { author: { kind: 'model', id: 'crash-test' }, reason: 'crash test' });
  if (queued.status !== 'queued') throw new Error(`expected queued, got ${queued.status}: ${queued.summary}`);
  return queued.approvalId;
}

process.stdout.write('ready\n');
if (mode === 'interrupt') {
  const id = await queue('interrupted_tool');
  process.stdout.write(`queued ${id}\n`);
  armed = true;
  await gate.applyApproved(id, { by: 'ada' });
  throw new Error('applyApproved should have been killed');
}
for (let n = Number(firstArgument); ; n++) {
  const id = await queue(`tool_${n}`);
  const applied = await gate.applyApproved(id, { by: 'ada' });
  if (applied.status !== 'applied') throw new Error(`expected applied, got ${applied.status}: ${applied.summary}`);
  process.stdout.write(`applied ${n}\n`);
}
