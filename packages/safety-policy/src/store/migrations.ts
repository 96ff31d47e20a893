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
  };
}
