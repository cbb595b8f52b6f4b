/**
 * The /health report: the host's status and every plugin's name, version, state, isolation and
 * grants, plus the folders that could not be loaded and why.
 */
import type { CacheStats } from "./cache/host-cache.ts";
import type { InvalidPlugin } from "./discovery.ts";
import type { PluginHealth } from "./supervisor.ts";

/** "ok": every plugin ready; "degraded": some plugin is not; "stopping": draining for shutdown. */
export type HostStatus = "ok" | "degraded" | "stopping";

export interface HealthReport {
  readonly status: HostStatus;
  readonly version: string;
  readonly uptimeMs: number;
  readonly plugins: readonly PluginHealth[];
  readonly invalid: readonly InvalidPlugin[];
  /** The host cache: its ceiling, what it holds, and each plugin's sizes and hit/miss/eviction counts. */
  readonly cache?: CacheStats;
}

export function buildHealthReport(input: {
  version: string;
  startedAt: number;
  plugins: readonly PluginHealth[];
  invalid: readonly InvalidPlugin[];
  stopping: boolean;
  cache?: CacheStats;
}): HealthReport {
  const allReady = input.plugins.every((p) => p.state === "ready") && input.invalid.length === 0;
  return {
    status: input.stopping ? "stopping" : allReady ? "ok" : "degraded",
    version: input.version,
    uptimeMs: Date.now() - input.startedAt,
    plugins: input.plugins,
    invalid: input.invalid,
    ...(input.cache === undefined ? {} : { cache: input.cache }),
  };
}
