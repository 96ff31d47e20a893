import { describe } from 'vitest';
import { describeCaseStorage } from './case-storage.suite.js';
import { POSTGRES_URL, noticePostgresSkipped, postgresBackend } from './test-support/backends.js';

noticePostgresSkipped('@toolwright/regression case-storage.int.test.ts');
describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeCaseStorage(postgresBackend);
});
