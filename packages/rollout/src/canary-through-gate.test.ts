import { describeCanaryThroughGate } from './canary-through-gate.suite.js';
import { sqliteBackend } from './test-support/backends.js';

describeCanaryThroughGate(sqliteBackend);
