import { sqliteBackend } from '../test-support/backends.js';
import { describeMigrationSuite } from './migrations.suite.js';

describeMigrationSuite(sqliteBackend);
