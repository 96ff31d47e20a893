import { describeMemorySuite } from './memory.suite.js';
import { sqliteBackend } from './test-support/backends.js';

describeMemorySuite(sqliteBackend);
