import { runMigrations } from '@toolwright/store';
import type { Migration } from 'kysely';
import type { RegressionDatabase } from './regression-database.js';

/** The table kysely records the regression package's migrations in (its lock table is `<name>_lock`). */
export const REGRESSION_MIGRATION_TABLE = 'toolwright_regression_migrations';

/** 0001: cases (unique per tool and input) and shadow observations. */
function casesAndShadowRuns(dialect: RegressionDatabase['dialect']): Migration {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db) {
      await db.schema
        .createTable('regression_cases')
        .addColumn('seq', serial, (column) => column.primaryKey())
        .addColumn('case_id', 'text', (column) => column.notNull().unique())
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('input_hash', 'text', (column) => column.notNull())
        .addColumn('input', 'text', (column) => column.notNull())
        .addColumn('expect', 'text', (column) => column.notNull())
        .addColumn('origin', 'text', (column) => column.notNull())
        .addColumn('held_out', 'integer', (column) => column.notNull())
        .addColumn('source_version', 'integer')
        .addColumn('created_at', bigint, (column) => column.notNull())
        .addUniqueConstraint('regression_cases_tool_input', ['tool', 'input_hash'])
        .execute();
      await db.schema.createIndex('regression_cases_tool_origin').on('regression_cases').columns(['tool', 'origin']).execute();

      await db.schema
        .createTable('regression_shadow_runs')
        .addColumn('seq', serial, (column) => column.primaryKey())
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('candidate_hash', 'text', (column) => column.notNull())
        .addColumn('active_version', 'integer')
        .addColumn('input_hash', 'text', (column) => column.notNull())
        .addColumn('active_ok', 'integer', (column) => column.notNull())
        .addColumn('candidate_ok', 'integer', (column) => column.notNull())
        .addColumn('agreed', 'integer', (column) => column.notNull())
        .addColumn('active_ms', 'double precision', (column) => column.notNull())
        .addColumn('candidate_ms', 'double precision', (column) => column.notNull())
        .addColumn('candidate_error_code', 'text')
        .addColumn('at', bigint, (column) => column.notNull())
        .execute();
      await db.schema.createIndex('regression_shadow_runs_candidate').on('regression_shadow_runs').columns(['tool', 'candidate_hash', 'seq']).execute();
    },
  };
}

/**
 * 0002: post-promotion comparisons (the agent runs the version an active one replaced beside
 * it) keep the shadowed version's number, both outputs and which side a ground truth backs.
 */
function shadowComparisonOutputs(): Migration {
  return {
    async up(db) {
      await db.schema.alterTable('regression_shadow_runs').addColumn('candidate_version', 'integer').execute();
      await db.schema.alterTable('regression_shadow_runs').addColumn('active_output', 'text').execute();
      await db.schema.alterTable('regression_shadow_runs').addColumn('candidate_output', 'text').execute();
      await db.schema.alterTable('regression_shadow_runs').addColumn('truth', 'text').execute();
      await db.schema.createIndex('regression_shadow_runs_disagreements').on('regression_shadow_runs').columns(['tool', 'agreed', 'seq']).execute();
    },
  };
}

/**
 * 0003: the call ids a person judged wrong (`recordFeedback`), one row each: the primary key
 * makes a second feedback on the same call, from any process, a no-op that is seen as one.
 */
function feedbackCalls(dialect: RegressionDatabase['dialect']): Migration {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db) {
      await db.schema
        .createTable('regression_feedback_calls')
        .addColumn('call_id', 'text', (column) => column.primaryKey())
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('recorded_at', bigint, (column) => column.notNull())
        .execute();
    },
  };
}

/** Every regression migration, oldest first. Forward only: a published migration never changes. */
export function regressionMigrations(dialect: RegressionDatabase['dialect']): Record<string, Migration> {
  return { '0001_cases_shadow_runs': casesAndShadowRuns(dialect), '0002_shadow_comparison_outputs': shadowComparisonOutputs(), '0003_feedback_calls': feedbackCalls(dialect) };
}

/**
 * Brings the regression tables up to date with `@toolwright/store`'s runner, forward only, and
 * refuses (`STORAGE_SCHEMA_TOO_NEW`) a database migrated by a newer version of this package. On
 * SQLite the run holds the write lock (`BEGIN IMMEDIATE`); on PostgreSQL kysely runs it in
 * one transaction under an advisory lock, in the connection's current schema.
 */
export function migrateRegressionTables(database: RegressionDatabase): Promise<void> {
  return runMigrations(database, { owner: '@toolwright/regression', table: REGRESSION_MIGRATION_TABLE, migrations: regressionMigrations(database.dialect) });
}
