import { describe } from 'vitest';
import { describeMemorySuite } from './memory.suite.js';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend } from './test-support/backends.js';

noticePostgresSkipped('@toolwright/memory memory.int.test.ts');
describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeMemorySuite(postgresBackend);
});
