import { describe } from 'vitest';
import { noticePostgresSkipped, POSTGRES_URL, postgresBackend } from '../test-support/backends.js';
import { describeMigrationSuite } from './migrations.suite.js';

noticePostgresSkipped('@toolwright/memory migrations.int.test.ts');
describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeMigrationSuite(postgresBackend);
});
