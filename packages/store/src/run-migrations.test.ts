import { describeRunMigrationsSuite } from './run-migrations.suite.js';
import { sqliteBackend } from './test-support/backends.js';

describeRunMigrationsSuite(sqliteBackend);
