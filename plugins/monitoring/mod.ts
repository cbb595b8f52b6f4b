/**
 * The monitoring plugin: the host's and every plugin's health on one page, for signed-in users
 * with the role "admin" or "operator". A plugin cannot reach the host's own HTTP port (the
 * runtime denies it), so it reads the /health report through the host service its manifest
 * grants: `"host": ["health"]`, called as `ctx.host.health()`.
 *
 * Who may look is the manifest's `access` rule (`/*` for admin and operator): the host refuses
 * everyone else (401 signed out, or the login page for a browser; 403 without the role) before
 * this code runs, and refuses everyone when no identity provider is granted. That rule is the
 * only list of roles; a second check here could only drift from it (docs/plugins/monitoring.md).
 *
 * Routes (under /plugins/monitoring): `GET /` the page (refreshes itself every 10 s);
 * `GET /api/summary` the same data as JSON. It adds "Monitoring" to the admin menu
 * (`admin.pages`) for the same roles.
 *
 * @module
 */

import { definePlugin, type PluginEnv, render } from "@corral/sdk";
import { Hono } from "hono";
import { summarize } from "./summary.ts";

/** The roles of plugin.json's `access` rule, for the admin menu entry. */
export const ROLES: readonly string[] = ["admin", "operator"];

const app = new Hono<PluginEnv>();

app.get("/", async (c) => {
  const summary = summarize(await c.env.host.health());
  const identity = c.env.request.locals.identity as { user?: { name?: unknown } } | null | undefined;
  return render(c, "index", { title: "Monitoring", ...summary, user: identity?.user });
});

app.get("/api/summary", async (c) => c.json(summarize(await c.env.host.health())));

export default definePlugin({
  app,
  contributions: {
    "admin.pages": () => ({ title: "Monitoring", href: "/plugins/monitoring/", roles: ROLES }),
  },
});
