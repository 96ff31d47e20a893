import { sqliteBackend } from './test-support/backends.js';
import { describeUnitOfWorkSuite } from './unit-of-work.suite.js';

describeUnitOfWorkSuite(sqliteBackend);
