import { describe } from 'vitest';
import { describeJobQueue } from './job-queue.suite.js';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend } from './test-support/backends.js';

noticePostgresSkipped('@toolwright/jobs job-queue.int.test.ts');
describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeJobQueue(postgresBackend);
});
