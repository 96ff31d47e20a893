/* global process */
// A process of the propagation benchmark: Toolwright on the shared schema; prints
// `ACTIVE <version> <epoch ms>` as soon as its registry reader answers a new active version.
import { createToolwright } from '../dist/index.js';

const tw = await createToolwright({ database: process.env.FLEET_DATABASE, databaseOptions: { schema: process.env.FLEET_SCHEMA }, improve: false, reflect: false, shadow: false });
let seen = (await tw.registry.active('total_fares'))?.version;
const look = async () => {
  const version = (await tw.registry.active('total_fares'))?.version;
  if (version !== undefined && version !== seen) {
    seen = version;
    process.stdout.write(`ACTIVE ${version} ${Date.now()}\n`);
  }
};
tw.registry.on('change', () => void look());
process.stdout.write('READY\n');
process.stdin.on('end', async () => {
  await tw.close();
  process.exit(0);
});
process.stdin.resume();
