/**
 * Gives one plugin with `"database": true` its database: provisions its role and schema (idempotent;
 * the recorded role is kept), records them, and opens its own pool logged in as that role.
 */
import type { Logger } from "../logger.ts";
import type { Manifest } from "../manifest/manifest.ts";
import type { HostDatabase } from "./connect.ts";
import { pluginDatabasePassword } from "./host-secret.ts";
import { PluginDatabase } from "./plugin-database.ts";
import type { PluginStore } from "./plugin-store.ts";
import { connectionLimitFor, resolvePoolSize } from "./pool-size.ts";
import { provisionPluginDatabase } from "./provision.ts";
import type { QueryObserver } from "./query-observer.ts";

/** A statement running longer than the plugin's own request timeout is of no use to anyone. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

export async function openPluginDatabase(input: {
  readonly hostDb: HostDatabase;
  readonly secret: Uint8Array;
  readonly store: PluginStore;
  readonly manifest: Manifest;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /**
   * Connections in this pool instead of the manifest's (the role's CONNECTION LIMIT still follows
   * the manifest): a one-off command opens a small pool next to a running host's.
   */
  readonly poolSize?: number;
  /** Told about every statement (host/metrics/); none when missing. */
  readonly observer?: QueryObserver;
}): Promise<PluginDatabase> {
  const { hostDb, manifest, logger } = input;
  const manifestPoolSize = resolvePoolSize(manifest.limits.dbConnections);
  const poolSize = Math.min(input.poolSize ?? manifestPoolSize, manifestPoolSize);
  const password = pluginDatabasePassword(input.secret, manifest.name);
  const recorded = await input.store.recordedDatabase(manifest.name);
  const { role, schema, movedFrom } = await provisionPluginDatabase(hostDb.adminPool, {
    pluginName: manifest.name,
    ...(recorded === undefined ? {} : { recordedRole: recorded.role }),
    password,
    connectionLimit: connectionLimitFor(manifestPoolSize),
    statementTimeoutMs: input.timeoutMs,
    idleInTransactionTimeoutMs: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    database: hostDb.connectionInfo.database,
  });
  if (recorded?.role !== role || recorded.schema !== schema) await input.store.recordDatabase(manifest.name, role, schema);
  if (movedFrom !== undefined) {
    logger.warn("database role moved: another database of this server shared it", { from: movedFrom, to: role });
  }
  logger.info("database ready", { role, schema, poolSize });
  return new PluginDatabase(hostDb.connectionInfo, role, password, {
    poolSize,
    logger,
    adminPool: hostDb.adminPool,
    queryTimeoutMs: input.timeoutMs,
    ...(input.observer === undefined ? {} : { observer: input.observer }),
  });
}
