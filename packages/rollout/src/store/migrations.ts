import { type Kysely, type Migration, sql } from 'kysely';

/** The table the rollout records its applied migrations in (kysely's layout), separate from every other package's. */
export const ROLLOUT_MIGRATION_TABLE = 'toolwright_rollout_migrations';

/** The rollout's schema, as kysely migrations. Never edit a published migration; add a new one. */
export function rolloutMigrations(dialect: 'sqlite' | 'postgres'): Record<string, Migration> {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    '0001_rollout_tables': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations see an untyped handle
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('toolwright_rollout_experiments')
          .addColumn('id', 'varchar(64)', (column) => column.primaryKey())
          .addColumn('kind', 'varchar(10)', (column) => column.notNull())
          .addColumn('artifact', 'varchar(200)', (column) => column.notNull())
          .addColumn('arms', 'text', (column) => column.notNull())
          .addColumn('allocation', 'text', (column) => column.notNull())
          .addColumn('stop_rule', 'text', (column) => column.notNull())
          .addColumn('status', 'varchar(20)', (column) => column.notNull())
          .addColumn('outcome', 'text')
          .addColumn('step', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('started_at', 'bigint', (column) => column.notNull())
          .addColumn('ended_at', 'bigint')
          .addColumn('updated_at', 'bigint', (column) => column.notNull())
          .addColumn('revision', 'integer', (column) => column.notNull().defaultTo(0))
          .addCheckConstraint('toolwright_rollout_experiments_kind', sql`kind in ('canary', 'ab')`)
          .addCheckConstraint('toolwright_rollout_experiments_status', sql`status in ('running', 'frozen', 'completed', 'rolled-back', 'stopped')`)
          .execute();
        // At most one live experiment per artifact, across every process.
        await sql`create unique index toolwright_rollout_experiments_live on toolwright_rollout_experiments (artifact) where status in ('running', 'frozen')`.execute(db);
        await db.schema.createIndex('toolwright_rollout_experiments_status').on('toolwright_rollout_experiments').columns(['status', 'started_at']).execute();

        await db.schema
          .createTable('toolwright_rollout_counts')
          .addColumn('scope', 'varchar(300)', (column) => column.notNull())
          .addColumn('arm', 'varchar(200)', (column) => column.notNull())
          .addColumn('successes', 'bigint', (column) => column.notNull().defaultTo(0))
          .addColumn('failures', 'bigint', (column) => column.notNull().defaultTo(0))
          .addColumn('latency_ms_sum', real, (column) => column.notNull().defaultTo(0))
          .addColumn('log_latency_sum', real, (column) => column.notNull().defaultTo(0))
          .addColumn('log_latency_square_sum', real, (column) => column.notNull().defaultTo(0))
          .addColumn('updated_at', 'bigint', (column) => column.notNull())
          .addPrimaryKeyConstraint('toolwright_rollout_counts_pk', ['scope', 'arm'])
          .execute();

        let events = db.schema.createTable('toolwright_rollout_events');
        events =
          dialect === 'postgres'
            ? events.addColumn('id', 'bigserial', (column) => column.primaryKey())
            : events.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement());
        await events
          .addColumn('experiment_id', 'varchar(64)', (column) => column.notNull())
          .addColumn('at', 'bigint', (column) => column.notNull())
          .addColumn('event', 'varchar(40)', (column) => column.notNull())
          .addColumn('data', 'text', (column) => column.notNull())
          .execute();
        await db.schema.createIndex('toolwright_rollout_events_experiment').on('toolwright_rollout_events').columns(['experiment_id', 'id']).execute();
      },
    },
  };
}
