/**
 * Builds what stands behind one loaded manifest: its launch plan (grants), its own database pool
 * and its `PluginHandle` (today one `Supervisor`). The one place that does it, so a different
 * handle (a pool of instances) replaces it here and the manager does not change.
 */
import type { HostDatabase } from "../db/connect.ts";
import { openPluginDatabase } from "../db/open-plugin-database.ts";
import type { PluginDatabase } from "../db/plugin-database.ts";
import type { PluginStore } from "../db/plugin-store.ts";
import type { QueryObserver } from "../db/query-observer.ts";
import type { Logger } from "../logger.ts";
import type { LoadedManifest } from "../manifest/manifest.ts";
import { buildLaunchPlan, describeGrants, withInspector } from "../permission-flags.ts";
import { CPU_PROFILE_ENV, cpuProfileDir, withCpuProfile } from "../cpu-profile-launch.ts";
import type { StateChange } from "../monitoring/state-history.ts";
import type { Grants, RuntimePaths } from "../permission-flags.ts";
import type { HostPolicy } from "../policy.ts";
import type { PluginHandle } from "../plugins/plugin-handle.ts";
import type { ServiceRegistry } from "../services/registry.ts";
import { createPluginHandle } from "../instances/create-plugin-handle.ts";
import { resolvePoolSettings } from "../instances/pool-settings.ts";
import type { PluginState, RestartPolicy } from "../supervisor.ts";

/** One running copy of a plugin and what it holds; `close` stops it and frees its pool. */
export interface Deployment {
  readonly handle: PluginHandle;
  readonly loaded: LoadedManifest;
  /** Stops the process (shutdown hook, then a kill after `deadlineMs`) and closes its database pool. */
  close(reason: string, deadlineMs: number): Promise<void>;
}

export interface DeploymentFactory {
  /**
   * The grants the plugin would get (the policy check), without starting anything.
   *
   * @throws {CorralError} POLICY_DENIED when the manifest asks for more than the policy allows.
   */
  grants(loaded: LoadedManifest): Grants;
  /**
   * A new, not yet started deployment; `onStateChange` hears its handle's states with why.
   * With `inspect`, its process starts with the V8 inspector on a loopback port.
   */
  create(loaded: LoadedManifest, onStateChange: (state: PluginState, change: StateChange) => void, options?: { readonly inspect?: boolean }): Promise<Deployment>;
}

export interface DeploymentFactoryInput {
  readonly policy: HostPolicy;
  readonly paths: RuntimePaths;
  readonly hostEnv: Readonly<Record<string, string | undefined>>;
  readonly hostDb: HostDatabase;
  readonly secret: Uint8Array;
  readonly store: PluginStore;
  readonly services: ServiceRegistry;
  readonly log: Logger;
  readonly hostVersion: string;
  readonly maxFrameBytes: number;
  readonly restart?: RestartPolicy;
  /** Times each plugin's statements (metrics and trace spans); none when missing. */
  readonly queryObserver?: (plugin: string) => QueryObserver;
}

export function deploymentFactory(input: DeploymentFactoryInput): DeploymentFactory {
  const { policy, paths, hostEnv } = input;
  return {
    grants: (loaded) => {
      resolvePoolSettings(loaded.manifest, policy); // instances, queue and CPU within the policy too
      return buildLaunchPlan({ loaded, policy, paths, hostEnv }).grants;
    },
    async create(loaded, onStateChange, options) {
      const pluginLog = input.log.forPlugin(loaded.manifest.name);
      let plan = buildLaunchPlan({ loaded, policy, paths, hostEnv });
      pluginLog.info(`grants: ${describeGrants(plan.grants)}`);
      const profileDir = cpuProfileDir(hostEnv);
      if (profileDir !== undefined) {
        plan = withCpuProfile(plan, profileDir, paths);
        pluginLog.warn(`${CPU_PROFILE_ENV} is set: the plugin runs with deno --cpu-prof and may write to ${profileDir} (benchmarking only)`);
      }
      // Each deployment has its own pool: stopping an old process releases its work, not the new one's.
      let database: PluginDatabase | undefined;
      if (loaded.manifest.database) {
        database = await openPluginDatabase({
          hostDb: input.hostDb, secret: input.secret, store: input.store, manifest: loaded.manifest,
          timeoutMs: plan.grants.timeoutMs, logger: pluginLog,
          ...(input.queryObserver === undefined ? {} : { observer: input.queryObserver(loaded.manifest.name) }),
        });
      }
      const handle = createPluginHandle({
        policy,
        loaded,
        plan,
        logger: pluginLog,
        hostVersion: input.hostVersion,
        startTimeoutMs: policy.startTimeoutMs,
        maxFrameBytes: input.maxFrameBytes,
        // The response cap sits below the frame cap, so an honest plugin never trips the latter.
        maxResponseBytes: Math.min(policy.limits.maxBodyBytes, input.maxFrameBytes - 1024 * 1024),
        ...(input.restart === undefined ? {} : { restart: input.restart }),
        ...(database === undefined ? {} : { database }),
        services: input.services,
        ping: { intervalMs: policy.monitoring.pingIntervalMs, timeoutMs: policy.monitoring.pingTimeoutMs },
        pingTimeoutMs: policy.monitoring.pingTimeoutMs,
        inspectorPlan: withInspector(plan, paths),
        inspect: options?.inspect === true,
        onStateChange,
      });
      return {
        handle,
        loaded,
        async close(reason, deadlineMs) {
          await handle.stop(reason, deadlineMs);
          await database?.close().catch((error: unknown) =>
            pluginLog.warn("could not close the plugin's database pool", { error: (error as Error).message }));
        },
      };
    },
  };
}
