/**
 * The /health report: the host's status and every plugin's name, version, state, isolation and
 * grants, plus the folders that could not be loaded and why.
 */
import type { InvalidPlugin } from "./discovery.ts";
import type { CacheCounters, CacheReport } from "./http/middleware/response-cache.ts";
import type { PluginHealth } from "./supervisor.ts";

/** A plugin's entry: its supervisor's report and what the host's response cache did for it. */
export type PluginReport = PluginHealth & { readonly responseCache?: CacheCounters };

/** "ok": every plugin ready; "degraded": some plugin is not; "stopping": draining for shutdown. */
export type HostStatus = "ok" | "degraded" | "stopping";

export interface HealthReport {
  readonly status: HostStatus;
  readonly version: string;
  readonly uptimeMs: number;
  readonly plugins: readonly PluginReport[];
  readonly invalid: readonly InvalidPlugin[];
  /** The host's response cache as a whole (per plugin: `plugins[].responseCache`). */
  readonly responseCache?: CacheReport;
}

export function buildHealthReport(input: {
  version: string;
  startedAt: number;
  plugins: readonly PluginReport[];
  invalid: readonly InvalidPlugin[];
  stopping: boolean;
  responseCache?: CacheReport;
}): HealthReport {
  const allReady = input.plugins.every((p) => p.state === "ready") && input.invalid.length === 0;
  return {
    status: input.stopping ? "stopping" : allReady ? "ok" : "degraded",
    version: input.version,
    uptimeMs: Date.now() - input.startedAt,
    plugins: input.plugins,
    invalid: input.invalid,
    ...(input.responseCache === undefined ? {} : { responseCache: input.responseCache }),
  };
}
