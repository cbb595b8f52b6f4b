// End to end: two hosts starting at once on one database run each of a plugin's migrations
// exactly once (the per-plugin migration lock), and both serve the plugin.
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { openAdmin, recordedMigrations, resetPluginDatabases } from "../helpers/plugin-database.ts";

const PLUGIN = "dbe2e-twice";

const twoHosts = suite<{ admin: pg.Pool }>("database with two hosts");

twoHosts.before(async (ctx) => {
  ctx.admin = openAdmin("two hosts e2e");
  await resetPluginDatabases(ctx.admin, [PLUGIN]);
});
twoHosts.after(async (ctx) => {
  await resetPluginDatabases(ctx.admin, [PLUGIN]);
  await ctx.admin.end();
});

twoHosts("two hosts starting at once run each migration exactly once, and both serve the plugin", async ({ admin }) => {
  // One secret, as hosts sharing a database must have: the plugin's role password derives from it.
  const env = { CORRAL_SECRET: randomBytes(32).toString("base64url") };
  const hosts: TestHost[] = [];
  try {
    const started = await Promise.allSettled([startTestHost({ plugins: [PLUGIN], env }), startTestHost({ plugins: [PLUGIN], env })]);
    for (const result of started) if (result.status === "fulfilled") hosts.push(result.value);
    assert.is(hosts.length, 2, `both hosts started: ${started.map((r) => r.status === "rejected" ? (r.reason as Error).message : "ok")}`);
    for (const t of hosts) {
      const health = t.host.health().plugins.find((p) => p.name === PLUGIN)!;
      assert.is(health.state, "ready", `${t.url}: ${health.failure}`);
      assert.is(await (await fetch(`${t.url}/plugins/${PLUGIN}/`)).text(), "twice");
    }
    const { rows } = await admin.query<{ migration: string }>("SELECT migration FROM plugin_dbe2e_twice.runs ORDER BY 1");
    assert.equal(rows.map((r) => r.migration), ["0002_first", "0003_second"], "each migration body ran once");
    assert.equal((await recordedMigrations(admin, PLUGIN)).map((m) => m.name), ["0001_runs", "0002_first", "0003_second"]);
  } finally {
    await Promise.all(hosts.map((t) => t.close()));
  }
});

twoHosts.run();
