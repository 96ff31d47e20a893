/**
 * `@toolwright/jobs`: background work shared by a fleet — improvement cycles as jobs on
 * PostgreSQL (pg-boss) with dedupe keys, retries, recovery of a dead worker's job, checkpointed
 * steps and parked jobs; in-process on SQLite behind the same interface.
 *
 * @packageDocumentation
 */
export { createJobQueue, type CreateJobQueueOptions } from './create-job-queue.js';
export { createInProcessQueue, type InProcessQueueOptions } from './in-process-queue.js';
export { createPgBossQueue, type PgBossQueueOptions } from './pg-boss-queue.js';
export { createImprovementJobHandler, createImprovementQueue, IMPROVE_QUEUE, improvementKey, type ImprovementJobDependencies } from './improvement-jobs.js';
export { enqueueOptionsSchema } from './job-queue.js';
export type { EnqueueOptions, EnqueueReceipt, JobContext, JobHandler, JobQueue, ParkedJob, QueueStats, WorkOptions } from './job-queue.js';
export { readJobStats, readParkedJobs } from './read-jobs.js';
