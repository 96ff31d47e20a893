import { describe, expect, it } from 'vitest';
import { createSandbox } from '../index.js';

describe('ping: the bare round trip to an idle worker process', () => {
  it('is undefined before a worker started, a duration once one is idle, and refused after dispose', async () => {
    const sandbox = createSandbox();
    try {
      expect(await sandbox.ping()).toBeUndefined();
      const tool = await sandbox.compile({ name: 'echo', source: 'export default (x: unknown) => x;' });
      expect(await sandbox.run(tool, 1)).toMatchObject({ ok: true, value: 1 });
      const roundTrip = await sandbox.ping();
      expect(typeof roundTrip).toBe('number');
      expect(roundTrip).toBeGreaterThan(0);
      // A ping is no job: the worker still serves runs afterwards.
      expect(await sandbox.run(tool, 2)).toMatchObject({ ok: true, value: 2 });
    } finally {
      await sandbox.dispose();
    }
    await expect(sandbox.ping()).rejects.toMatchObject({ code: 'SANDBOX_DISPOSED' });
  });
});
