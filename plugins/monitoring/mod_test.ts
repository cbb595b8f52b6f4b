/** Tests of the monitoring plugin with a fake host.health answer: who may see it, and what it shows. @module */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import type { HostHealth } from "@corral/sdk";
import { testPlugin } from "@corral/sdk/testing";
import plugin, { ROLES } from "./mod.ts";
import manifest from "./plugin.json" with { type: "json" };
import { formatDuration, summarize } from "./summary.ts";

const HEALTH: HostHealth = {
  report: {
    status: "degraded", version: "0.1.0", uptimeMs: 125_000, invalid: [],
    plugins: [
      { name: "alpha", version: "1.0.0", state: "ready", restarts: 0, inFlight: 1, rssBytes: 52_428_800, failure: null },
      { name: "beta", version: "2.0.0", state: "failed", restarts: 3, inFlight: 0, rssBytes: null, failure: "init threw" },
    ],
  },
  requests: { windowSeconds: 1800, byPlugin: { alpha: { requests: 12, errors: 2 } } },
};

const operator = { identity: { user: { id: "1", name: "Ops" }, roles: ["operator"] } };

Deno.test("monitoring: summarize makes one row per plugin, numbers ready to print", () => {
  const summary = summarize(HEALTH);
  deepStrictEqual(summary.plugins.map((p) => [p.name, p.state, p.alert, p.restarts, p.rssMb, p.requests, p.errors]), [
    ["alpha", "ready", false, 0, 50, 12, 2],
    ["beta", "failed", true, 3, null, 0, 0],
  ]);
  deepStrictEqual([summary.status, summary.uptime, summary.windowMinutes], ["degraded", "2m 5s", 30]);
});

Deno.test("monitoring: durations read as the largest two units", () => {
  deepStrictEqual([formatDuration(9_999), formatDuration(3_720_000), formatDuration(90_000_000)], ["9s", "1h 2m", "1d 1h"]);
});

Deno.test("monitoring: the admin menu entry is for the roles plugin.json's access rule admits", async () => {
  deepStrictEqual(manifest.access, [{ path: "/*", roles: [...ROLES] }]);
  await using monitoring = await testPlugin(plugin, { hostHealth: HEALTH });
  deepStrictEqual(await monitoring.contribute("admin.pages", { roles: ["operator"] }), { title: "Monitoring", href: "/plugins/monitoring/", roles: ROLES });
});

Deno.test("monitoring: GET /api/summary answers the rows (who may ask is the host's access rule)", async () => {
  await using monitoring = await testPlugin(plugin, { hostHealth: HEALTH });
  const ok = await monitoring.fetch("/api/summary", { locals: operator });
  strictEqual(ok.status, 200);
  strictEqual((await ok.json()).plugins.length, 2);
});

Deno.test("monitoring: without the host grant the call is refused (deny by default)", async () => {
  await using monitoring = await testPlugin(plugin);
  const response = await monitoring.fetch("/api/summary", { locals: operator });
  strictEqual(response.status, 500);
  strictEqual(monitoring.logs.some((record) => /host\.health/.test(record.message + JSON.stringify(record.fields ?? {}))), true);
});
