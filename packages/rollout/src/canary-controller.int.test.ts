import { describe } from 'vitest';
import { describeCanaryController } from './canary-controller.suite.js';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend } from './test-support/backends.js';

noticePostgresSkipped('@toolwright/rollout canary-controller.int.test.ts');
describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeCanaryController(postgresBackend);
});
