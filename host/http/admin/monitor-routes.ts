/**
 * Admin routes for health monitoring and debugging: a plugin's state history, its V8 inspector
 * (on/off) and CPU profiles. See docs/health-and-profiling.md.
 */
import { basename } from "node:path";
import type { StateChange } from "../../monitoring/state-history.ts";
import type { StoredStateChange } from "../../monitoring/state-history-store.ts";
import { parseProfileSeconds } from "../../profiling/cpu-profile.ts";
import type { Debuggable } from "../../profiling/debug-control.ts";
import { profilePlugin, startDebugging, stopDebugging } from "../../profiling/debug-control.ts";
import type { AdminRoutes } from "./router.ts";
import { fail } from "./router.ts";
import { notInstalled, pluginName } from "./plugin-routes.ts";

/** A plugin as these routes need it; the manager's `ManagedPlugin` fits (history kept across swaps). */
export interface MonitoredPlugin extends Debuggable {
  history(): readonly StateChange[];
}

export interface MonitorRoutesDependencies {
  readonly lookup: (name: string) => MonitoredPlugin | undefined;
  /** The host database's record of state changes (every host's), newest `limit`. */
  readonly storedHistory: (name: string, limit: number) => Promise<readonly StoredStateChange[]>;
  /** Profiles are saved under `<dataDir>/profiles/`. */
  readonly dataDir: string;
}

export function monitorRoutes(deps: MonitorRoutesDependencies): AdminRoutes {
  return (router) => {
    // `recent`: this host's in-memory history; `stored`: the database's, from every host.
    router.get("/plugins/:name/history", "plugins.read", async (c) => {
      const name = pluginName(c);
      const plugin = deps.lookup(name);
      if (plugin === undefined) return fail(notInstalled(name));
      const limit = Math.min(Math.max(Number(c.req.query("limit") ?? 100) || 100, 1), 500);
      try {
        return c.json({ plugin: name, state: plugin.state, recent: plugin.history(), stored: await deps.storedHistory(name, limit) });
      } catch (error) {
        return fail(error);
      }
    });

    // The answer is the .cpuprofile itself (Chrome DevTools format); the host keeps a copy.
    router.post("/plugins/:name/profile", "plugins.operate", async (c) => {
      const name = pluginName(c);
      const plugin = deps.lookup(name);
      if (plugin === undefined) return fail(notInstalled(name));
      try {
        const seconds = parseProfileSeconds(c.req.query("seconds"));
        const result = await profilePlugin(plugin, seconds, deps.dataDir);
        return new Response(JSON.stringify(result.profile), {
          headers: {
            "content-type": "application/json; charset=utf-8",
            "content-disposition": `attachment; filename="${basename(result.file)}"`,
            "cache-control": "no-store",
            "x-corral-profile-file": result.file,
            "x-corral-inspector-restarted": String(result.restarted),
          },
        });
      } catch (error) {
        return fail(error);
      }
    });

    router.post("/plugins/:name/debug", "plugins.operate", async (c) => {
      const name = pluginName(c);
      const plugin = deps.lookup(name);
      if (plugin === undefined) return fail(notInstalled(name));
      try {
        return c.json(await startDebugging(plugin));
      } catch (error) {
        return fail(error);
      }
    });

    router.delete("/plugins/:name/debug", "plugins.operate", async (c) => {
      const name = pluginName(c);
      const plugin = deps.lookup(name);
      if (plugin === undefined) return fail(notInstalled(name));
      try {
        await stopDebugging(plugin);
        return c.json({ plugin: name, inspector: null, state: plugin.state });
      } catch (error) {
        return fail(error);
      }
    });
  };
}
