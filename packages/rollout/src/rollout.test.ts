import { describeRolloutStorage } from './rollout.suite.js';
import { sqliteBackend } from './test-support/backends.js';

describeRolloutStorage(sqliteBackend);
