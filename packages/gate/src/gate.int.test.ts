import { describe, it } from 'vitest';
import { describeGate } from './gate.suite.js';
import { noticePostgresSkipped, POSTGRES, POSTGRES_URL } from './test-support/gate-fixture.js';

if (POSTGRES_URL === undefined) {
  noticePostgresSkipped('@toolwright/gate');
  describe.skip('the gate on postgres (TOOLWRIGHT_TEST_POSTGRES_URL is not set)', () => {
    it('runs the gate suite on PostgreSQL', () => undefined);
  });
} else {
  describeGate(POSTGRES);
}
