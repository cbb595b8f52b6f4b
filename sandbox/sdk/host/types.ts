/**
 * `ctx.host`: what a plugin may learn about the host beyond its own sandbox, when its manifest's
 * `host` field grants it.
 *
 * @module
 */

/** One plugin as the host's /health report shows it (the fields a monitoring page needs; the report has more). */
export interface HostPluginHealth {
  readonly name: string;
  readonly version: string;
  /** "starting", "ready", "degraded", "restarting", "failed", "stopped", "disabled" or "blocked"... */
  readonly state: string;
  readonly restarts?: number;
  /** Requests handed to the plugin and not yet answered. */
  readonly inFlight?: number;
  /** Resident memory of the plugin's process tree, in bytes; null when it has no process. */
  readonly rssBytes?: number | null;
  /** Why the plugin failed, when it did. */
  readonly failure?: string | null;
  readonly readySince?: string | null;
  readonly [field: string]: unknown;
}

/** The host's /health report (see docs/health-and-profiling.md), as a plugin receives it. */
export interface HostHealthReport {
  /** "ok", "degraded" or "stopping". */
  readonly status: string;
  readonly version: string;
  readonly uptimeMs: number;
  readonly plugins: readonly HostPluginHealth[];
  /** Plugin folders that could not be loaded, with why. */
  readonly invalid: readonly { readonly dir?: string; readonly error?: string; readonly [field: string]: unknown }[];
  readonly [field: string]: unknown;
}

/**
 * What {@linkcode HostAccess.health} answers: the /health report, and each plugin's requests and
 * server errors (status >= 500) over the last `windowSeconds`.
 *
 * @example
 * ```ts
 * import type { HostHealth } from "@corral/sdk";
 *
 * function busiest(health: HostHealth): string | undefined {
 *   const counts = Object.entries(health.requests.byPlugin);
 *   return counts.sort(([, a], [, b]) => b.requests - a.requests)[0]?.[0];
 * }
 * ```
 */
export interface HostHealth {
  readonly report: HostHealthReport;
  readonly requests: {
    readonly windowSeconds: number;
    readonly byPlugin: Readonly<Record<string, { readonly requests: number; readonly errors: number }>>;
  };
}

/**
 * The host services beyond the sandbox, each granted by a name in the manifest's `host` field.
 * Deny by default: a call the manifest does not grant rejects with a `CorralError` whose `code`
 * is `CORRAL_E_CALL_DENIED`.
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * // plugin.json: "host": ["health"]
 * const app = new Hono<PluginEnv>();
 * app.get("/states", async (c) => {
 *   const { report } = await c.env.host.health();
 *   return c.json(report.plugins.map((p) => ({ name: p.name, state: p.state })));
 * });
 *
 * export default definePlugin({ app });
 * ```
 */
export interface HostAccess {
  /** The host's /health report and request counts. Needs `"host": ["health"]` in plugin.json. */
  health(): Promise<HostHealth>;
}
