/**
 * The error a plugin's migrations fail with. Its own file, free of Kysely, so that the runner can
 * recognise it without loading Kysely for plugins that have no database.
 *
 * @module
 */

/**
 * Applying or undoing migrations failed. `message` names the migration and carries Postgres'
 * message and SQLSTATE; the host reports it as `CORRAL_E_MIGRATION_FAILED`.
 *
 * @example
 * ```ts
 * throw new MigrationError('migration "0002_tags" failed: relation "note" does not exist (SQLSTATE 42P01)', "0002_tags", "42P01");
 * ```
 */
export class MigrationError extends Error {
  /** The migration that failed, when one did (not when e.g. the migration table could not be read). */
  readonly migration: string | undefined;
  /** Postgres' SQLSTATE when Postgres refused, else "". */
  readonly sqlState: string;

  constructor(message: string, migration: string | undefined, sqlState: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MigrationError";
    this.migration = migration;
    this.sqlState = sqlState;
  }
}
