import type { Kysely } from 'kysely';

/**
 * The database handle the regression runner stores its cases in: the shape `openDatabase(url)`
 * of `@toolwright/store` returns, declared structurally (any `{ dialect, kysely }` will do). The runner creates and migrates its own tables (`regression_*`, migration table
 * `toolwright_regression_migrations`) and never closes the handle.
 */
export interface RegressionDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  /** Any kysely instance on that database (its table types do not matter: the runner declares its own). */
  readonly kysely: Kysely<unknown>;
  /** For messages (password redacted); optional. */
  readonly url?: string;
}
