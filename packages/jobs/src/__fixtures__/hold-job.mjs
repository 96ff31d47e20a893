/* global process */
// Child process of crash-recovery.int.test.ts: a worker on the shared schema that takes the
// job, finishes its first step (checkpointed), says `FIRST-DONE`, and holds the job until killed.
import { openDatabase } from '@toolwright/store';
import { createJobQueue } from '../../dist/index.js';

const database = await openDatabase(process.env.JOBS_DATABASE, { schema: process.env.JOBS_SCHEMA });
const jobs = await createJobQueue({ database, expireInSeconds: 2, maintenanceIntervalSeconds: 1, retryDelaySeconds: 0, pollingIntervalSeconds: 0.5 });
await jobs.define('improve', async (_data, job) => {
  await job.step('diagnose', async () => ({ by: process.pid }));
  process.stdout.write('FIRST-DONE\n');
  await new Promise(() => {});
});
await jobs.work();
process.stdout.write('READY\n');
