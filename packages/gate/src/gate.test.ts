import { describeGate } from './gate.suite.js';
import { SQLITE } from './test-support/gate-fixture.js';

describeGate(SQLITE);
