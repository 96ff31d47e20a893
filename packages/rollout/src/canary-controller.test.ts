import { describeCanaryController } from './canary-controller.suite.js';
import { sqliteBackend } from './test-support/backends.js';

describeCanaryController(sqliteBackend);
