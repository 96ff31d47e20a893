import { describe } from 'vitest';
import { describeCanaryThroughGate } from './canary-through-gate.suite.js';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend } from './test-support/backends.js';

noticePostgresSkipped('@toolwright/rollout canary-through-gate.int.test.ts');
describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeCanaryThroughGate(postgresBackend);
});
