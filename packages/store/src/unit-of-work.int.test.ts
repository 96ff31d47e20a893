import { describe } from 'vitest';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend } from './test-support/backends.js';
import { describeUnitOfWorkSuite } from './unit-of-work.suite.js';

noticePostgresSkipped('@toolwright/store unit-of-work.int.test.ts');
describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeUnitOfWorkSuite(postgresBackend);
});
