import { describe } from 'vitest';
import { describeRunMigrationsSuite } from './run-migrations.suite.js';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend } from './test-support/backends.js';

noticePostgresSkipped('@toolwright/store run-migrations.int.test.ts');
describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeRunMigrationsSuite(postgresBackend);
});
