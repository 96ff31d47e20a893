import { describe, it } from 'vitest';
import { describeRolloutChanges } from './rollout-changes.suite.js';
import { noticePostgresSkipped, POSTGRES, POSTGRES_URL } from './test-support/gate-fixture.js';

if (POSTGRES_URL === undefined) {
  noticePostgresSkipped('@toolwright/gate');
  describe.skip('rollout changes on postgres (TOOLWRIGHT_TEST_POSTGRES_URL is not set)', () => {
    it('runs the rollout-change suite on PostgreSQL', () => undefined);
  });
} else {
  describeRolloutChanges(POSTGRES);
}
