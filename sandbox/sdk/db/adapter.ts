/**
 * Postgres' Kysely adapter with a migration lock of the plugin's own: Kysely's default lock key
 * is one constant shared by every Kysely application in the database.
 *
 * @module
 */

import { CompiledQuery, PostgresAdapter } from "kysely";
import type { Kysely, MigrationLockOptions } from "kysely";
import { HostConnection } from "./connection.ts";

/**
 * Keyed by the plugin's role, which is unique to the plugin: two processes of one plugin (two
 * hosts on one database) exclude each other, other plugins never wait. Transaction-scoped, so
 * Postgres releases it with the transaction, also when the process dies mid-migration.
 *
 * @example
 * ```ts
 * await connection.runFirstInTransaction(CompiledQuery.raw(MIGRATION_LOCK_SQL));
 * ```
 */
export const MIGRATION_LOCK_SQL = "select pg_advisory_xact_lock(hashtext(current_user))";

/**
 * Kysely's Migrator asks for the lock on a connection just before it begins the transaction
 * that runs the migrations, and releases it after that transaction ends. A transaction-scoped
 * lock taken at that point would end with its own statement, and a session-scoped one would be
 * taken on whichever pooled connection the host picked; so the lock is queued on the connection
 * and taken as the first statement of the migration transaction, and "releasing" it is the
 * commit or rollback. (With `disableTransactions: true`, a Migrator of your own takes no lock.)
 *
 * @example
 * ```ts
 * const dialect: Dialect = { ...postgresParts, createAdapter: () => new CorralAdapter() };
 * ```
 */
export class CorralAdapter extends PostgresAdapter {
  override async acquireMigrationLock(db: Kysely<unknown>, _options: MigrationLockOptions): Promise<void> {
    await db.getExecutor().provideConnection(async (connection) => {
      const lock = CompiledQuery.raw(MIGRATION_LOCK_SQL);
      if (connection instanceof HostConnection) await connection.runFirstInTransaction(lock);
      else await connection.executeQuery(lock);
    });
  }

  override async releaseMigrationLock(db: Kysely<unknown>, _options: MigrationLockOptions): Promise<void> {
    await db.getExecutor().provideConnection((connection) => {
      if (connection instanceof HostConnection) connection.cancelRunFirst();
      return Promise.resolve();
    });
  }
}
