/**
 * The monitoring plugin: the host's and every plugin's health on one page, for signed-in users
 * with an operator role. A plugin cannot reach the host's own HTTP port (the runtime denies it),
 * so it reads the /health report through the host service its manifest grants:
 * `"host": ["health"]`, called as `ctx.host.health()`.
 *
 * Routes (under /plugins/monitoring): `GET /` the page (refreshes itself every 10 s);
 * `GET /api/summary` the same data as JSON. Signed out: 401; without a role in `config.roles`: 403.
 *
 * @module
 */

import { definePlugin, type PluginEnv, render } from "@corral/sdk";
import { Hono } from "hono";
import { decide, readRoles } from "./access.ts";
import { summarize } from "./summary.ts";

let roles: readonly string[] = ["admin", "operator"];

const app = new Hono<PluginEnv>();

app.get("/", async (c) => {
  const summary = summarize(await c.env.host.health());
  return render(c, "index", { title: "Monitoring", ...summary, user: (c.env.request.locals.identity as { user?: unknown })?.user });
});

app.get("/api/summary", async (c) => c.json(summarize(await c.env.host.health())));

export default definePlugin({
  app,
  init(ctx) {
    roles = readRoles(ctx.config);
    ctx.log.info("monitoring plugin ready", { roles: [...roles] });
  },
  hooks: {
    beforeRequest(c) {
      const decision = decide(c.env.request.locals, roles);
      if (decision.allowed) return;
      const html = (c.req.header("accept") ?? "").includes("text/html");
      return html
        ? new Response(`<!doctype html><title>Monitoring</title><p>${decision.message}</p>`, { status: decision.status, headers: { "content-type": "text/html; charset=utf-8" } })
        : c.json({ error: { code: decision.status === 401 ? "SIGN_IN" : "FORBIDDEN", message: decision.message } }, decision.status);
    },
  },
});
