import { describeRolloutChanges } from './rollout-changes.suite.js';
import { SQLITE } from './test-support/gate-fixture.js';

describeRolloutChanges(SQLITE);
