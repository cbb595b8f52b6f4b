/**
 * Admin routes for plugins: every plugin's state and grants, uninstall, and operator actions on
 * a plugin's migrations (status, apply, undo one step).
 */
import type { Context } from "hono";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { MigrateAction } from "../../../schemas/messages.ts";
import type { HealthReport } from "../../health.ts";
import type { Actor } from "../../manager/operations.ts";
import type { PluginLookup } from "../../plugins/plugin-handle.ts";
import type { AdminEnv, AdminRoutes } from "./router.ts";
import { fail } from "./router.ts";

export interface PluginRoutesDependencies {
  /** Uninstalls a plugin on every host sharing the database, moves its folder away here; drops its database with `purge`. */
  readonly uninstall: (name: string, purge: boolean, actor: Actor) => Promise<unknown>;
  readonly health: () => HealthReport;
  readonly lookup: PluginLookup;
}

export function pluginRoutes(deps: PluginRoutesDependencies): AdminRoutes {
  return (router) => {
    router.get("/plugins", "plugins.read", (c) => {
      const { plugins, invalid } = deps.health();
      return c.json({ plugins, invalid });
    });

    router.get("/plugins/:name", "plugins.read", (c) => {
      const name = pluginName(c);
      const plugin = deps.health().plugins.find((p) => p.name === name);
      return plugin === undefined ? fail(notInstalled(name)) : c.json(plugin);
    });

    const migrate = (action: MigrateAction) => async (c: Context<AdminEnv>) => {
      const name = pluginName(c);
      const plugin = deps.lookup(name);
      if (plugin === undefined) return fail(notInstalled(name));
      try {
        return c.json(await plugin.migrate(action));
      } catch (error) {
        return fail(error);
      }
    };
    // An unknown name is refused by `uninstall` itself (PLUGIN_NOT_FOUND, 404).
    router.post("/plugins/:name/uninstall", "plugins.manage", async (c) => {
      try {
        const caller = c.get("caller");
        return c.json(await deps.uninstall(pluginName(c), c.req.query("purge") === "true", { name: caller.name, role: caller.role }));
      } catch (error) {
        return fail(error);
      }
    });

    router.get("/plugins/:name/migrations", "plugins.read", migrate("status"));
    router.post("/plugins/:name/migrations/latest", "plugins.manage", migrate("latest"));
    router.post("/plugins/:name/migrations/down", "plugins.manage", migrate("down"));
  };
}

/** The `:name` of a route registered with it. */
export function pluginName(c: Context<AdminEnv>): string {
  return c.req.param("name") ?? "";
}

export function notInstalled(name: string): CorralError {
  return new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin named "${name}" is installed`);
}
