/** Brings the host's own schema `corral` up to date with Kysely's Migrator, on the admin pool. */
import { Kysely, Migrator, PostgresDialect } from "kysely";
import type { Migration, MigrationResultSet } from "kysely";
import type { Pool } from "pg";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { Logger } from "../../logger.ts";
import { initial } from "./0001-initial.ts";
import { manager } from "./0002-manager.ts";
import { access } from "./0003-access.ts";
import { managerRestart } from "./0004-manager-restart.ts";
import { stateHistory } from "./0005-state-history.ts";
import { uninstalled } from "./0006-uninstalled.ts";

/** The host's migrations in order; a name, once shipped, never changes. */
export const HOST_MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  "0001-initial": initial,
  "0002-manager": manager,
  "0003-access": access,
  "0004-manager-restart": managerRestart,
  "0005-state-history": stateHistory,
  "0006-uninstalled": uninstalled,
});

/** Where Kysely keeps its bookkeeping tables for the host: beside the host's tables. */
export const HOST_SCHEMA = "corral";

/**
 * Applies every pending host migration. Safe with two hosts starting at once: Kysely's Migrator
 * runs them in one transaction under an advisory lock.
 *
 * @returns Kysely's result set (`results` lists what ran; empty when all was up to date).
 * @throws CorralError MIGRATION_FAILED naming the migration that failed and Postgres' message.
 *
 * @example
 * ```ts
 * const { results } = await migrateHostSchema(db.adminPool, logger);
 * ```
 */
export async function migrateHostSchema(adminPool: Pool, logger: Logger): Promise<MigrationResultSet> {
  // Never destroy() this Kysely: that would end the admin pool, which the host still owns.
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: adminPool }) });
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...HOST_MIGRATIONS }) },
    migrationTableSchema: HOST_SCHEMA,
  });
  const resultSet = await migrator.migrateToLatest();
  for (const result of resultSet.results ?? []) {
    if (result.status === "Success") logger.info(`host migration ${result.migrationName} applied`);
  }
  if (resultSet.error !== undefined) {
    const failed = resultSet.results?.find((result) => result.status === "Error")?.migrationName;
    const reason = resultSet.error instanceof Error ? resultSet.error.message : String(resultSet.error);
    throw new CorralError(ErrorCode.MIGRATION_FAILED,
      failed === undefined
        ? `host migrations could not run: ${reason}`
        : `host migration "${failed}" failed and was rolled back: ${reason}`,
      { cause: resultSet.error });
  }
  return resultSet;
}
