import { sql, type Kysely, type Migration } from 'kysely';
import type { PolicyDatabase } from '../database.js';

/** The table the policy records its applied migrations in (kysely's layout), separate from every other package's. */
export const POLICY_MIGRATION_TABLE = 'toolwright_policy_migrations';

/** The policy's schema, as kysely migrations. Never edit a published migration; add a new one. */
export function policyMigrations(dialect: PolicyDatabase['dialect']): Record<string, Migration> {
  return {
    '0001_policy_tables': {
      // Migrations see an untyped handle: the schema they create is what gives the types meaning.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('toolwright_policy_state')
          .addColumn('key', 'varchar(100)', (column) => column.primaryKey())
          .addColumn('value', 'text', (column) => column.notNull())
          .addColumn('updated_at', 'bigint', (column) => column.notNull())
          .execute();
        await db
          .insertInto('toolwright_policy_state')
          .values([
            { key: 'kill-switch', value: JSON.stringify({ engaged: false }), updated_at: 0 },
            { key: 'review-lock', value: '0', updated_at: 0 },
          ])
          .execute();

        let ledger = db.schema.createTable('toolwright_policy_ledger');
        ledger =
          dialect === 'postgres'
            ? ledger.addColumn('id', 'bigserial', (column) => column.primaryKey())
            : ledger.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement());
        await ledger
          .addColumn('at', 'bigint', (column) => column.notNull())
          .addColumn('event', 'varchar(40)', (column) => column.notNull())
          .addColumn('kind', 'varchar(40)')
          .addColumn('origin', 'varchar(10)')
          .addColumn('name', 'varchar(200)')
          .addColumn('change_hash', 'varchar(64)')
          .addColumn('outcome', 'varchar(20)')
          .addColumn('effective', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('score', dialect === 'postgres' ? 'double precision' : 'real')
          .addColumn('data', 'text', (column) => column.notNull().defaultTo('{}'))
          .execute();
        await db.schema.createIndex('toolwright_policy_ledger_effective_at').on('toolwright_policy_ledger').columns(['effective', 'at']).execute();
        await db.schema.createIndex('toolwright_policy_ledger_name_event').on('toolwright_policy_ledger').columns(['name', 'event']).execute();
        await db.schema.createIndex('toolwright_policy_ledger_kind_name').on('toolwright_policy_ledger').columns(['kind', 'effective', 'name']).execute();

        await db.schema
          .createTable('toolwright_policy_approvals')
          .addColumn('id', 'varchar(64)', (column) => column.primaryKey())
          .addColumn('status', 'varchar(20)', (column) => column.notNull())
          .addColumn('change_hash', 'varchar(64)', (column) => column.notNull())
          .addColumn('kind', 'varchar(40)', (column) => column.notNull())
          .addColumn('origin', 'varchar(10)', (column) => column.notNull())
          .addColumn('name', 'varchar(200)')
          .addColumn('change', 'text', (column) => column.notNull())
          .addColumn('evidence', 'text', (column) => column.notNull())
          .addColumn('reasons', 'text', (column) => column.notNull())
          .addColumn('proposed_at', 'bigint', (column) => column.notNull())
          .addColumn('decided_by', 'varchar(200)')
          .addColumn('decided_at', 'bigint')
          .addColumn('decision_note', 'text')
          .addColumn('applied_by', 'varchar(200)')
          .addColumn('applied_at', 'bigint')
          .addCheckConstraint('toolwright_policy_approvals_status', sql`status in ('proposed', 'approved', 'rejected', 'applied')`)
          .execute();
        await db.schema.createIndex('toolwright_policy_approvals_status_idx').on('toolwright_policy_approvals').columns(['status', 'proposed_at']).execute();
        await db.schema.createIndex('toolwright_policy_approvals_hash').on('toolwright_policy_approvals').column('change_hash').execute();

        await db.schema
          .createTable('toolwright_policy_learned_rules')
          .addColumn('name', 'varchar(200)', (column) => column.primaryKey())
          .addColumn('text', 'text', (column) => column.notNull())
          .addColumn('position', 'integer', (column) => column.notNull().unique())
          .addColumn('added_at', 'bigint', (column) => column.notNull())
          .addColumn('retired_at', 'bigint')
          .execute();
        await db.schema
          .createIndex('toolwright_policy_learned_rules_active')
          .on('toolwright_policy_learned_rules')
          .columns(['retired_at', 'position'])
          .execute();
      },
    },
    '0002_proposers_candidates_sources': {
      // What the one gate needs (issue 19/22): who proposed a request and which registered
      // version it carries, the source hash of tool changes (bounds that survive renaming), and
      // who added each learned rule (an agent's rule never retires a person's). Existing rows
      // are filled from what the ledger and the queue already knew.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>): Promise<void> {
        // SQLite adds one column per statement.
        await db.schema.alterTable('toolwright_policy_approvals').addColumn('proposed_by', 'varchar(200)').execute();
        await db.schema.alterTable('toolwright_policy_approvals').addColumn('candidate', 'text').execute();
        await db
          .updateTable('toolwright_policy_approvals')
          .set({ proposed_by: sql`case when origin = 'agent' then 'agent' else 'person' end` })
          .execute();
        await db.schema.alterTable('toolwright_policy_ledger').addColumn('source_hash', 'varchar(64)').execute();
        await db.schema.createIndex('toolwright_policy_ledger_source_hash').on('toolwright_policy_ledger').columns(['source_hash', 'name']).execute();
        await db.schema.alterTable('toolwright_policy_learned_rules').addColumn('origin', 'varchar(10)').execute();
        // A rule whose origin the ledger does not know is treated as a person's: never retired by the agent.
        await sql`update toolwright_policy_learned_rules set origin = coalesce((
            select ledger.origin from toolwright_policy_ledger ledger
            where ledger.kind = 'add-learned-rule' and ledger.effective = 1 and ledger.name = toolwright_policy_learned_rules.name
            order by ledger.id limit 1
          ), 'person')`.execute(db);
      },
    },
  };
}
