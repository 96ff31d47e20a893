import type { Policy } from '@toolwright/core';
import { sql } from 'kysely';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createPolicy, POLICY_MIGRATION_TABLE, POLICY_RULES, type SafetyPolicy } from './index.js';
import * as entry from './index.js';
import { policyMigrations } from './store/migrations.js';
import { createTool, rewriteTool, rulesOf, toolVersion, verdict } from './test-support/changes.js';
import { DIALECTS, openTestStore, skipDialect } from './test-support/databases.js';
import { policyOn, useTestStore } from './test-support/fixture.js';

describe('the public entry point', () => {
  it('exports the policy factory, its configuration schema, the rule catalogue and the heuristic', () => {
    expect(Object.keys(entry).sort()).toEqual(
      ['POLICY_MIGRATION_TABLE', 'POLICY_RULES', 'PREFERENCE_MIGRATION_TABLE', 'createPolicy', 'createPreferenceStore', 'findContradictions', 'policyConfigSchema'].sort(),
    );
    expectTypeOf<SafetyPolicy>().toMatchTypeOf<Policy>();
  });

  it('documents every rule name it can answer with', () => {
    expect(Object.keys(POLICY_RULES)).toHaveLength(20);
    for (const description of Object.values(POLICY_RULES)) expect(description.length).toBeGreaterThan(20);
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(skipDialect(dialect))(`createPolicy (${dialect})`, () => {
    const store = useTestStore(dialect);

    const MIGRATIONS = ['0001_policy_tables', '0002_proposers_candidates_sources'];

    it('keeps its tables and migration record to itself, and migrates idempotently before it resolves', async () => {
      await policyOn(store());
      await policyOn(store());
      await createPolicy({ database: store().db });
      const applied = await sql<{ name: string }>`select name from ${sql.table(POLICY_MIGRATION_TABLE)} order by name`.execute(store().db.kysely);
      expect(applied.rows.map((row) => row.name)).toEqual(MIGRATIONS);
    });

    it('migrates a fresh database once when two instances start at the same time', async () => {
      const fresh = await openTestStore(dialect);
      try {
        // PostgreSQL: two pools; SQLite: one handle (see the bounded-evolution concurrency test).
        const other = dialect === 'postgres' ? await fresh.reopen() : fresh.db;
        const [first] = await Promise.all([createPolicy({ database: fresh.db }), createPolicy({ database: other })]);
        const applied = await sql<{ name: string }>`select name from ${sql.table(POLICY_MIGRATION_TABLE)} order by name`.execute(fresh.db.kysely);
        expect(applied.rows.map((row) => row.name)).toEqual(MIGRATIONS);
        expect((await first.killSwitch.state()).engaged).toBe(false);
      } finally {
        await fresh.cleanup();
      }
    });

    it('opens a database migrated by the previous runner (its own migration table, no lock table)', async () => {
      const old = await openTestStore(dialect);
      try {
        // What @toolwright/safety-policy wrote before it used @toolwright/store's runner.
        await sql`create table ${sql.table(POLICY_MIGRATION_TABLE)} (name varchar(255) primary key, timestamp varchar(255) not null)`.execute(old.db.kysely);
        await policyMigrations(dialect)['0001_policy_tables']?.up(old.db.kysely);
        await sql`insert into ${sql.table(POLICY_MIGRATION_TABLE)} (name, timestamp) values ('0001_policy_tables', '2025-01-01T00:00:00.000Z')`.execute(old.db.kysely);
        const policy = await createPolicy({ database: old.db });
        await policy.killSwitch.engage({ by: 'ana', reason: 'drill' });
        expect((await (await createPolicy({ database: await old.reopen() })).killSwitch.state()).engaged).toBe(true);
        const applied = await sql<{ name: string }>`select name from ${sql.table(POLICY_MIGRATION_TABLE)} order by name`.execute(old.db.kysely);
        expect(applied.rows.map((row) => row.name)).toEqual(MIGRATIONS);
      } finally {
        await old.cleanup();
      }
    });

    it('opens a database of the first version with its requests and learned rules, filling who proposed and who added them', async () => {
      const old = await openTestStore(dialect);
      try {
        await sql`create table ${sql.table(POLICY_MIGRATION_TABLE)} (name varchar(255) primary key, timestamp varchar(255) not null)`.execute(old.db.kysely);
        await policyMigrations(dialect)['0001_policy_tables']?.up(old.db.kysely);
        await sql`insert into ${sql.table(POLICY_MIGRATION_TABLE)} (name, timestamp) values ('0001_policy_tables', '2025-01-01T00:00:00.000Z')`.execute(old.db.kysely);
        // Rows as the first version wrote them: an agent's queued tool, a person's and an agent's learned rule.
        const queued = createTool('rates');
        await sql`insert into toolwright_policy_approvals (id, status, change_hash, kind, origin, name, change, evidence, reasons, proposed_at)
          values ('old-request', 'proposed', ${'a'.repeat(64)}, 'create-tool', 'agent', 'rates', ${JSON.stringify(queued)}, '{}', '[]', 5)`.execute(old.db.kysely);
        for (const [index, origin] of (['person', 'agent'] as const).entries()) {
          const name = `learned.old-${origin}`;
          await sql`insert into toolwright_policy_ledger (at, event, kind, origin, name, change_hash, outcome, effective, data)
            values (${index + 1}, 'review', 'add-learned-rule', ${origin}, ${name}, ${String(index).repeat(64)}, 'allow', 1, '{}')`.execute(old.db.kysely);
          await sql`insert into toolwright_policy_learned_rules (name, text, position, added_at) values (${name}, 'Always use metric units.', ${index + 1}, ${index + 1})`.execute(
            old.db.kysely,
          );
        }
        const policy = await createPolicy({ database: old.db });
        expect(await policy.approvals.get('old-request')).toMatchObject({ id: 'old-request', change: queued, proposedBy: 'agent', status: 'proposed' });
        expect((await policy.approvals.get('old-request'))?.candidate).toBeUndefined();
        expect((await policy.learnedRules()).map((rule) => [rule.name, rule.origin])).toEqual([
          ['learned.old-person', 'person'],
          ['learned.old-agent', 'agent'],
        ]);
      } finally {
        await old.cleanup();
      }
    });

    it('refuses a database migrated by a newer version', async () => {
      await policyOn(store());
      await sql`insert into ${sql.table(POLICY_MIGRATION_TABLE)} (name, timestamp) values ('9999_from_the_future', 'x')`.execute(store().db.kysely);
      try {
        await expect(createPolicy({ database: store().db })).rejects.toMatchObject({ code: 'STORAGE_SCHEMA_TOO_NEW' });
      } finally {
        await sql`delete from ${sql.table(POLICY_MIGRATION_TABLE)} where name = '9999_from_the_future'`.execute(store().db.kysely);
      }
    });

    it('validates the change and the context at the boundary', async () => {
      const policy = await policyOn(store());
      await expect(policy.review({ kind: 'delete-everything', origin: 'agent' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(policy.review({ ...createTool('sum_values'), origin: 'system' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const mismatched = { ...rewriteTool('sum_values'), name: 'other_tool' };
      await expect(policy.review(mismatched)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/spec\.name/) });
      await expect(policy.review(rewriteTool('sum_values'), { current: toolVersion('other_tool') })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/context\.current is a version of "other_tool"/),
      });
      await expect(policy.review(createTool('sum_values'), { verdict: { tool: 'sum_values' } } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(policy.review({ kind: 'add-learned-rule', origin: 'agent', name: 'empty', text: '   ' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(policy.review(rewriteTool('sum_values'), { candidate: toolVersion('other_tool') })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/context\.candidate is a version of "other_tool"/),
      });
      await expect(policy.review({ kind: 'import-bundle', origin: 'person', bundleHash: 'not-a-hash', names: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(policy.assess({ kind: 'pin', origin: 'robot', name: 'x' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('answers through the core Policy interface and writes every decision to the audit log', async () => {
      const memory = await store().memory();
      const policy: Policy = await createPolicy({ database: store().db, audit: memory });
      await policy.review(createTool('sum_values'), { now: 1, verdict: verdict('sum_values') });
      await policy.review(createTool('sum_values'), { now: 2, verdict: verdict('sum_values') });
      await policy.review({ kind: 'rollback', origin: 'agent', name: 'sum_values', fromVersion: 3, toVersion: 2 }, { now: 3 });
      const log = await memory.auditLog({ artifact: 'sum_values' });
      expect(log.map((entry) => entry.action)).toEqual(['policy.allow', 'policy.deny', 'policy.allow']);
      expect(log[0]).toMatchObject({
        actor: { kind: 'system', id: 'safety-policy' },
        fromVersion: 3,
        toVersion: 2,
        evidence: { kind: 'rollback', origin: 'agent', rules: ['risk-approval'], ledgerId: expect.any(String) },
      });
      expect(log[1]).toMatchObject({ reason: expect.stringMatching(/^tool-identity: /), evidence: { rules: ['tool-identity'] } });
    });

    it('works without an audit sink, and reports decisions with the change hash', async () => {
      const decision = await (await policyOn(store())).review(createTool('sum_values'), { now: 1, verdict: verdict('sum_values') });
      expect(decision).toMatchObject({ outcome: 'allow', changeHash: expect.stringMatching(/^[0-9a-f]{64}$/), ledgerId: expect.any(String) });
      expect(rulesOf(decision)).toEqual(['risk-approval']);
    });

    it('uses the configured clock when the context has no time', async () => {
      let now = 5 * 3_600_000;
      const policy = await createPolicy({ database: store().db, clock: () => now, evolution: { changesPerHour: 1 } });
      expect((await policy.review({ kind: 'pin', origin: 'agent', name: 'a' })).outcome).toBe('allow');
      expect(rulesOf(await policy.review({ kind: 'pin', origin: 'agent', name: 'b' }))).toEqual(['change-rate']);
      now += 3_600_001;
      expect((await policy.review({ kind: 'pin', origin: 'agent', name: 'b' })).outcome).toBe('allow');
    });
  });
}
