import { describeJobQueue } from './job-queue.suite.js';
import { sqliteBackend } from './test-support/backends.js';

describeJobQueue(sqliteBackend);
