/**
 * Turns the host's health answer into the rows the page shows: one per plugin, numbers ready to
 * print. Pure, so it is tested without a host.
 *
 * @module
 */

import type { HostHealth } from "@corral/sdk";

/** One plugin's row. */
export interface PluginRow {
  readonly name: string;
  readonly version: string;
  readonly state: string;
  /** Whether the state is one an operator should look at. */
  readonly alert: boolean;
  readonly restarts: number;
  /** Resident memory in MiB with one decimal, or null without a process. */
  readonly rssMb: number | null;
  readonly inFlight: number;
  readonly requests: number;
  readonly errors: number;
  readonly failure: string | null;
}

/** The whole page's data. */
export interface Summary {
  readonly status: string;
  readonly version: string;
  readonly uptime: string;
  readonly windowMinutes: number;
  readonly plugins: readonly PluginRow[];
  readonly invalid: number;
}

const HEALTHY = new Set(["ready", "starting"]);

/** The rows of `health`, in the report's order (by name). */
export function summarize(health: HostHealth): Summary {
  const { report, requests } = health;
  const plugins = report.plugins.map((plugin): PluginRow => {
    const counts = requests.byPlugin[plugin.name] ?? { requests: 0, errors: 0 };
    const rss = typeof plugin.rssBytes === "number" ? Math.round(plugin.rssBytes / 1024 / 1024 * 10) / 10 : null;
    return {
      name: plugin.name,
      version: plugin.version,
      state: plugin.state,
      alert: !HEALTHY.has(plugin.state),
      restarts: typeof plugin.restarts === "number" ? plugin.restarts : 0,
      rssMb: rss,
      inFlight: typeof plugin.inFlight === "number" ? plugin.inFlight : 0,
      requests: counts.requests,
      errors: counts.errors,
      failure: typeof plugin.failure === "string" ? plugin.failure : null,
    };
  });
  return {
    status: report.status,
    version: report.version,
    uptime: formatDuration(report.uptimeMs),
    windowMinutes: Math.round(requests.windowSeconds / 60),
    plugins,
    invalid: report.invalid.length,
  };
}

/** "3d 4h", "2h 5m", "4m 7s", "12s". */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const [d, h, m] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}
