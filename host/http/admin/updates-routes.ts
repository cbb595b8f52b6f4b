/**
 * Admin routes for the registry's update notifications: the last check's results (newer
 * compatible versions with their changelogs, advisories covering installed versions) and a check
 * on demand. See docs/registry.md.
 */
import type { UpdatesReport } from "../../registry-client/update-check.ts";
import type { AdminRoutes } from "./router.ts";

export interface UpdatesSource {
  report(): UpdatesReport;
  /** Runs a check now; undefined when the host has no registry configured. */
  readonly checkNow?: () => Promise<UpdatesReport>;
}

export function updatesRoutes(source: UpdatesSource): AdminRoutes {
  return (router) => {
    router.get("/updates", "plugins.read", (c) => c.json(source.report()));
    // Checking reaches out to the registry: an operator's action, not a viewer's.
    router.post("/updates/check", "plugins.operate", async (c) => {
      if (source.checkNow === undefined) return c.json(source.report());
      return c.json(await source.checkNow());
    });
  };
}
