/**
 * The /health report: the host's status and every plugin's name, version, state, isolation and
 * grants, plus the folders that could not be loaded and why.
 */
import type { CacheStats } from "./cache/host-cache.ts";
import type { InvalidPlugin } from "./discovery.ts";
import type { BlockedPlugin } from "./plugins/resolve-load-order.ts";
import type { EventsHealth } from "./events/host-events.ts";
import type { HookHealth } from "./hooks/stats.ts";
import type { CacheCounters, CacheReport } from "./http/middleware/response-cache.ts";
import type { PluginHealth } from "./supervisor.ts";
import type { PoolHealthFields } from "./instances/instance-pool.ts";
import type { UpdatesReport } from "./registry-client/update-check.ts";

/**
 * A plugin's entry: its report (with its instance pool's limits, instances, queue and counters)
 * and what the host's response cache did for it.
 */
export type PluginReport = PluginHealth & Partial<PoolHealthFields> & { readonly responseCache?: CacheCounters };

/** "ok": every plugin ready (or idle: lazy and unloaded); "degraded": some plugin is not; "stopping": draining for shutdown. */
export type HostStatus = "ok" | "degraded" | "stopping";

export interface HealthReport {
  readonly status: HostStatus;
  readonly version: string;
  readonly uptimeMs: number;
  /** In name order. */
  readonly plugins: readonly (PluginReport | BlockedPluginHealth)[];
  readonly invalid: readonly InvalidPlugin[];
  /** The host cache: its ceiling, what it holds, and each plugin's sizes and hit/miss/eviction counts. */
  readonly cache?: CacheStats;
  /** The host's response cache as a whole (per plugin: `plugins[].responseCache`). */
  readonly responseCache?: CacheReport;
  /** Plugins' global request hooks, in running order per kind, with their counters. */
  readonly hooks: readonly HookHealth[];
  /** Event and extension point counters (emitted, delivered, dropped, failed...). */
  readonly events?: EventsHealth;
  /** The registry's last update check: newer compatible versions, and advisories covering installed versions (warnings). */
  readonly updates?: UpdatesReport;
}

/** A valid plugin held back, not started and not mounted, because a plugin it needs cannot run. */
export interface BlockedPluginHealth {
  readonly name: string;
  readonly version: string;
  readonly state: "blocked";
  /** The refused or failed plugin at the end of `chain`. */
  readonly blockedBy: string;
  /** From this plugin to the fault, e.g. ["c", "b", "a"]. */
  readonly chain: readonly string[];
  /** CORRAL_E_DEPENDENCY_BLOCKED. */
  readonly code: string;
  /** Why, naming the chain: `plugin "c" is blocked by "b" (c -> b -> a): …`. */
  readonly failure: string;
}

export function buildHealthReport(input: {
  version: string;
  startedAt: number;
  plugins: readonly PluginReport[];
  invalid: readonly InvalidPlugin[];
  stopping: boolean;
  blocked?: readonly BlockedPlugin[];
  events?: EventsHealth;
  hooks?: readonly HookHealth[];
  cache?: CacheStats;
  responseCache?: CacheReport;
  updates?: UpdatesReport;
}): HealthReport {
  const blocked = (input.blocked ?? []).map((b): BlockedPluginHealth =>
    ({ name: b.name, version: b.version, state: "blocked", blockedBy: b.blockedBy, chain: b.chain, code: b.code, failure: b.message }));
  const plugins = [...input.plugins, ...blocked].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const allReady = plugins.every((p) => p.state === "ready" || p.state === "idle") && input.invalid.length === 0;
  return {
    status: input.stopping ? "stopping" : allReady ? "ok" : "degraded",
    version: input.version,
    uptimeMs: Date.now() - input.startedAt,
    plugins,
    invalid: input.invalid,
    ...(input.events === undefined ? {} : { events: input.events }),
    hooks: input.hooks ?? [],
    ...(input.cache === undefined ? {} : { cache: input.cache }),
    ...(input.responseCache === undefined ? {} : { responseCache: input.responseCache }),
    ...(input.updates === undefined ? {} : { updates: input.updates }),
  };
}
