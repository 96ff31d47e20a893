import { describeRegistrySuite } from './registry.suite.js';
import { sqliteBackend } from './test-support/backends.js';

describeRegistrySuite(sqliteBackend);
