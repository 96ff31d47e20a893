import { sql, type DatabaseIntrospector, type Kysely, type TableMetadata } from 'kysely';

/**
 * The same kysely instance, but its introspection sees only the current schema. kysely's
 * Migrator asks the introspector whether its tables exist, and the stock PostgreSQL
 * introspector reads every table of every schema with catalog functions that fail ("schema
 * … does not exist") when another schema is dropped at the same moment — which happens
 * whenever deployments or test runs share a server. This one reads plain catalog rows of the
 * current schema only. `runMigrations` uses it on PostgreSQL; use it yourself when you
 * hand a kysely instance to anything else that introspects.
 *
 * @example
 * ```ts
 * const migrator = new Migrator({ db: withCurrentSchemaIntrospection(db), provider, migrationTableSchema: 'tenant_a' });
 * ```
 */
export function withCurrentSchemaIntrospection<DB>(db: Kysely<DB>): Kysely<DB> {
  const introspector: DatabaseIntrospector = {
    async getSchemas() {
      const result = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = current_schema()`.execute(db);
      return result.rows;
    },
    async getTables(): Promise<TableMetadata[]> {
      const result = await sql<{ name: string; schema: string; kind: string }>`select c.relname as name, n.nspname as schema, c.relkind as kind
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v')`.execute(db);
      return result.rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.kind === 'v', columns: [] }));
    },
    async getMetadata() {
      return { tables: await introspector.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspector;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
