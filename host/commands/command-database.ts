/**
 * The database side of a one-off command: the host's Postgres as `npm start` would open it
 * (DATABASE_URL, else the embedded server in the data folder), except that a data folder whose
 * embedded server is already running (a host is up) is joined rather than refused.
 */
import { join } from "node:path";
import { EMBEDDED_DATABASE, openHostDatabase } from "../db/connect.ts";
import type { HostDatabase } from "../db/connect.ts";
import { EMBEDDED_ADMIN_USER } from "../db/embedded-postgres.ts";
import { embeddedAdminPassword, loadHostSecret } from "../db/host-secret.ts";
import { migrateHostSchema } from "../db/host-migrations/migrate.ts";
import { openPluginDatabase } from "../db/open-plugin-database.ts";
import type { PluginDatabase } from "../db/plugin-database.ts";
import { PluginStore } from "../db/plugin-store.ts";
import { readPostmasterLock } from "../db/postmaster-pid.ts";
import type { Logger } from "../logger.ts";
import type { Manifest } from "../manifest/manifest.ts";

/** Connections of a command's own pool: two, so a transaction and a query outside it can overlap. */
const COMMAND_POOL_SIZE = 2;

export interface CommandDatabaseOptions {
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
}

/** The host's database, migrated, and the host secret plugin passwords derive from. */
export interface OpenedHostDatabase {
  readonly hostDb: HostDatabase;
  readonly secret: Uint8Array;
}

/**
 * Opens the host's database for a command and brings the host schema up to date.
 *
 * @throws {CorralError} DB_UNAVAILABLE, ENVIRONMENT (a bad CORRAL_SECRET), MIGRATION_FAILED.
 */
export async function openCommandHostDatabase(options: CommandDatabaseOptions): Promise<OpenedHostDatabase> {
  const { dataDir, env, logger } = options;
  const secret = await loadHostSecret(dataDir, env);
  const url = options.databaseUrl ?? (await runningEmbeddedUrl(dataDir, secret.key));
  const hostDb = await openHostDatabase({ ...(url === undefined ? {} : { databaseUrl: url }), dataDir, logger, hostSecret: secret.key });
  try {
    await migrateHostSchema(hostDb.adminPool, logger);
  } catch (error) {
    await hostDb.close();
    throw error;
  }
  return { hostDb, secret: secret.key };
}

/**
 * The plugin's own role, schema and a small pool (the role's connection limit is the manifest's:
 * a host may be running the plugin with its own pool at the same time).
 */
export async function openCommandPluginDatabase(opened: OpenedHostDatabase, manifest: Manifest, timeoutMs: number, logger: Logger): Promise<PluginDatabase> {
  return await openPluginDatabase({
    hostDb: opened.hostDb, secret: opened.secret, store: new PluginStore(opened.hostDb.adminPool), manifest,
    timeoutMs, logger, poolSize: COMMAND_POOL_SIZE,
  });
}

/** A connection URL for the embedded server a running host started in `dataDir`, if there is one. */
async function runningEmbeddedUrl(dataDir: string, secret: Uint8Array): Promise<string | undefined> {
  const lock = await readPostmasterLock(join(dataDir, "postgres"));
  if (lock?.alive !== true || lock.port === undefined) return undefined;
  const password = encodeURIComponent(embeddedAdminPassword(secret));
  return `postgres://${EMBEDDED_ADMIN_USER}:${password}@127.0.0.1:${lock.port}/${EMBEDDED_DATABASE}`;
}
