/**
 * What the host builds for one plugin version: an `InstancePool` of supervisors, each with its
 * own process and, for a plugin with a database, its own database session. The one call the
 * host's per-plugin construction makes instead of `new Supervisor(...)`.
 */
import type { Manifest } from "../manifest/manifest.ts";
import type { PluginHandle } from "../plugins/plugin-handle.ts";
import type { HostPolicy } from "../policy.ts";
import { resolvePoolSize } from "../db/pool-size.ts";
import type { PluginDatabaseSession } from "../db/plugin-database.ts";
import { Supervisor } from "../supervisor.ts";
import type { PluginDatabaseHandle, PluginState, SupervisorOptions } from "../supervisor.ts";
import { InstanceLogger } from "./instance-logger.ts";
import { InstancePool } from "./instance-pool.ts";
import type { StateChange } from "../monitoring/state-history.ts";
import { resolvePoolSettings } from "./pool-settings.ts";
import type { PoolSettings } from "./pool-settings.ts";

/** A database that can hand each process its own session (a `PluginDatabase`). */
export interface SessionDatabase extends PluginDatabaseHandle {
  session(label: string): PluginDatabaseSession;
}

export interface PluginHandleOptions extends SupervisorOptions {
  /** The policy the pool's settings (instances, lazy, queue, CPU) are resolved against. */
  readonly policy: HostPolicy;
  readonly database?: PluginDatabaseHandle | SessionDatabase;
}

/**
 * Builds the plugin's pool and logs its effective limits. The pool's `onStateChange` is the
 * caller's; each instance's own state changes stay inside the pool.
 *
 * @throws CorralError POLICY_DENIED when the manifest asks for more instances, concurrency,
 *   queue or CPU than the policy allows.
 *
 * @example
 * ```ts
 * const handle = createPluginHandle({ loaded, plan, logger, ..., policy });
 * await handle.start();
 * ```
 */
export function createPluginHandle(options: PluginHandleOptions): PluginHandle {
  const { loaded, plan, logger, policy, onStateChange, database, ...rest } = options;
  const settings = resolvePoolSettings(loaded.manifest, policy);
  const limits = effectiveLimits(loaded.manifest, plan.grants, settings, options.maxResponseBytes);
  logger.info(`limits: ${describeLimits(limits)}`);
  const cpuQuota = settings.cpuPercent === null ? undefined : { percent: settings.cpuPercent, windowMs: settings.cpuWindowMs };
  return new InstancePool({
    manifest: loaded.manifest,
    dir: loaded.dir,
    grants: plan.grants,
    settings,
    limits,
    logger,
    ...(onStateChange === undefined ? {} : { onStateChange }),
    createInstance: (id: number, onInstanceState: (state: PluginState, change: StateChange) => void) => new Supervisor({
      ...rest,
      loaded,
      plan,
      logger: settings.maxInstances > 1 ? new InstanceLogger(logger, id) : logger,
      onStateChange: onInstanceState,
      ...(cpuQuota === undefined ? {} : { cpuQuota }),
      ...(database === undefined ? {} : { database: sessionFor(database, `${loaded.manifest.name}#${id}`) }),
    }),
  });
}

/** Every limit in force for the plugin, as /health and the start log show them. */
export function effectiveLimits(
  manifest: Manifest,
  grants: { readonly memoryMb: number; readonly timeoutMs: number; readonly maxBodyBytes: number },
  settings: PoolSettings,
  maxResponseBytes: number,
): Record<string, number | null> {
  return {
    memoryMb: grants.memoryMb,
    timeoutMs: grants.timeoutMs,
    maxBodyBytes: grants.maxBodyBytes,
    maxResponseBytes,
    maxConcurrent: settings.maxConcurrent,
    maxQueue: settings.maxQueue,
    cpuPercent: settings.cpuPercent,
    cpuWindowMs: settings.cpuWindowMs,
    minInstances: settings.minInstances,
    maxInstances: settings.maxInstances,
    idleTimeoutMs: settings.lazy ? settings.idleTimeoutMs : null,
    dbConnections: manifest.database ? resolvePoolSize(manifest.limits.dbConnections) : null,
  };
}

function describeLimits(limits: Record<string, number | null>): string {
  return Object.entries(limits).map(([key, value]) => `${key}=${value ?? "none"}`).join(" ");
}

function sessionFor(database: PluginDatabaseHandle | SessionDatabase, label: string): PluginDatabaseHandle {
  return "session" in database ? database.session(label) : database;
}
