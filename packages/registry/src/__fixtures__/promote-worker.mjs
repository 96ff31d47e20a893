/* global process */
// Child process of promotion-race.int.test.ts: one registry writer in its own OS process,
// driven line by line over stdin ("register <round>", "promote <round> <version>", "exit").
// Plain Node (no TypeScript loader): it imports the package's built dist.
import { createInterface } from 'node:readline';
import { openDatabase } from '@toolwright/memory';
import { createRegistryWriter } from '../../dist/writer.js';

const [url, schema, worker] = process.argv.slice(2);
const db = await openDatabase(url, { schema });
const writer = await createRegistryWriter({ database: db });
const spec = {
  name: 'total_fares',
  description: 'Sums a list of fares',
  inputSchema: { type: 'object', properties: { fares: { type: 'array' } } },
};
process.stdout.write('ready\n');

for await (const line of createInterface({ input: process.stdin })) {
  const [command, round, version] = line.split(' ');
  if (command === 'exit') break;
  try {
    if (command === 'register') {
      const { value: registered } = await writer.register({
        kind: 'tool',
        name: 'total_fares',
        source: `export default ({ fares }) => fares.reduce((a, b) => a + b, 0); // worker ${worker}, round ${round}\n`,
        spec,
        author: { kind: 'model', id: `worker-${worker}` },
        reason: `round ${round}`,
        parent: null,
      });
      process.stdout.write(`registered ${round} ${registered.version}\n`);
    } else if (command === 'promote') {
      await writer.promote('total_fares', Number(version), { reason: `worker ${worker} round ${round}` });
      process.stdout.write(`promoted ${round} ${version}\n`);
    }
  } catch (error) {
    process.stdout.write(`error ${round} ${error?.code ?? 'UNKNOWN'} ${String(error?.message).replace(/\n/g, ' ')}\n`);
  }
}
await db.close();
// stdin stays open (the parent holds it): leave explicitly.
process.exit(0);
