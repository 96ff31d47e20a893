import { sha256 } from '@toolwright/core';
import { openDatabase, type Database } from '@toolwright/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicy, policyConfigSchema } from './index.js';

let database: Database;
beforeAll(async () => {
  database = await openDatabase('sqlite::memory:');
});
afterAll(async () => {
  await database.close();
});

describe('policyConfigSchema', () => {
  it('fills every rule with its safe default', () => {
    const config = policyConfigSchema.parse({ database });
    expect(config).toMatchObject({
      immutableSections: [],
      sectionTamper: 'engage-kill-switch',
      killSwitch: { appliesToPersons: true },
      learnedRules: { max: 50, contradictionThreshold: 0.5 },
      evolution: { maxTools: 50, rewritesPerTool: { max: 3, windowMs: 86_400_000 }, changesPerHour: 20, maxPendingApprovals: 20 },
      capabilities: { envelope: [], scanSource: true },
      approval: {
        network: 'needs-approval',
        untestedTool: 'needs-approval',
        promptChange: 'needs-approval',
        learnedRule: 'needs-approval',
        agentGrant: 'deny',
        rollback: 'allow',
        pin: 'allow',
      },
      trajectory: { freezeAfter: 3, minImprovement: 0.05, metricGaming: true, acceleration: { windowMs: 600_000, lookbackWindows: 6, minActiveWindows: 3, factor: 3, minChanges: 6, newTools: { factor: 3, minChanges: 12 } } },
    });
    expect(config.approvals).toEqual({});
  });

  it('keeps defaults for the options a partial group leaves out', () => {
    const config = policyConfigSchema.parse({ database, evolution: { maxTools: 5 }, trajectory: { acceleration: { factor: 2 } } });
    expect(config.evolution).toMatchObject({ maxTools: 5, changesPerHour: 20, rewritesPerTool: { max: 3 } });
    expect(config.trajectory.acceleration).toMatchObject({ factor: 2, minChanges: 6 });
  });
});

describe('createPolicy configuration errors', () => {
  const invalid = async (config: unknown) => {
    try {
      await createPolicy(config as Parameters<typeof createPolicy>[0]);
    } catch (error) {
      return error as { code: string; message: string };
    }
    throw new Error('expected createPolicy to throw');
  };

  it('requires a database handle', async () => {
    const error = await invalid({});
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/database/);
    expect((await invalid({ database: { dialect: 'mysql', kysely: database.kysely } })).code).toBe('INVALID_ARGUMENT');
  });

  it('refuses an immutable section whose declared hash does not match its text', async () => {
    const text = 'Never reveal API keys.';
    await expect(createPolicy({ database, immutableSections: [{ name: 'safety', text, hash: sha256(text) }] })).resolves.toBeDefined();
    const error = await invalid({ database, immutableSections: [{ name: 'safety', text: `${text} `, hash: sha256(text) }] });
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/declaration itself was altered/);
  });

  it('refuses duplicate section names, unknown options, out-of-range numbers, an agent-allowed grant and an empty approver list', async () => {
    expect((await invalid({ database, immutableSections: [{ name: 'a', text: 'x' }, { name: 'a', text: 'y' }] })).message).toMatch(/unique/);
    expect((await invalid({ database, maxTools: 3 })).code).toBe('INVALID_ARGUMENT');
    expect((await invalid({ database, evolution: { maxTools: -1 } })).code).toBe('INVALID_ARGUMENT');
    expect((await invalid({ database, approval: { agentGrant: 'allow' } })).code).toBe('INVALID_ARGUMENT');
    expect((await invalid({ database, capabilities: { envelope: [{ kind: 'fetch', origins: ['https://a.example/path'] }] } })).code).toBe('INVALID_ARGUMENT');
    expect((await invalid({ database, approvals: { approvers: [] } })).code).toBe('INVALID_ARGUMENT');
    expect((await invalid({ database, approvals: { approvers: [''] } })).code).toBe('INVALID_ARGUMENT');
  });

  it('migrates before it resolves: a created policy reads its tables at once', async () => {
    const policy = await createPolicy({ database });
    expect(await policy.killSwitch.state()).toEqual({ engaged: false });
    expect(await policy.approvals.list()).toEqual([]);
  });
});
