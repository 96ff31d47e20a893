import { describe } from 'vitest';
import { describeRegistrySuite } from './registry.suite.js';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend } from './test-support/backends.js';

noticePostgresSkipped('@toolwright/registry registry.int.test.ts');
describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeRegistrySuite(postgresBackend);
});
