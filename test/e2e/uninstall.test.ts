// End to end: uninstall stops and unloads a plugin and moves its folder aside; its schema and
// role stay unless asked to purge, and a purge drops both.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FIXTURES, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { openAdmin, resetPluginDatabases, schemaOf, tablesOf } from "../helpers/plugin-database.ts";

const PLUGIN = "dbe2e-uninstall";
const uninstall = suite<{ admin: pg.Pool; hosts: TestHost[] }>("uninstall");

uninstall.before(async (ctx) => {
  ctx.admin = openAdmin("uninstall e2e");
  ctx.hosts = [];
  await resetPluginDatabases(ctx.admin, [PLUGIN]);
});
uninstall.after(async (ctx) => {
  for (const host of ctx.hosts) await host.close();
  await resetPluginDatabases(ctx.admin, [PLUGIN]);
  await ctx.admin.end();
});

async function hit(t: TestHost): Promise<number> {
  const res = await fetch(`${t.url}/plugins/${PLUGIN}/hit`, { method: "POST" });
  assert.is(res.status, 200, await res.clone().text());
  return (await res.json() as { count: number }).count;
}

async function callUninstall(t: TestHost, purge: boolean): Promise<{ status: number; json: { movedTo: string; purged: boolean } }> {
  const res = await fetch(`${t.url}/admin/plugins/${PLUGIN}/uninstall${purge ? "?purge=true" : ""}`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.host.adminToken}` },
  });
  return { status: res.status, json: await res.json() as { movedTo: string; purged: boolean } };
}

async function roleExists(admin: pg.Pool): Promise<boolean> {
  return (await admin.query("select 1 from pg_roles where rolname = $1", [schemaOf(PLUGIN)])).rowCount === 1;
}

uninstall("without purge the data stays and comes back on reinstall; with purge schema and role are dropped", async ({ admin, hosts }) => {
  const first = await startTestHost({ plugins: [PLUGIN] });
  hosts.push(first);
  assert.is(await hit(first), 1);
  assert.is(await hit(first), 2);

  const kept = await callUninstall(first, false);
  assert.is(kept.status, 200);
  assert.is(kept.json.purged, false);
  assert.not.ok((await readdir(first.pluginsDir)).includes(PLUGIN), "the folder left the plugins folder");
  assert.ok((await readdir(kept.json.movedTo)).includes("plugin.json"), "and is kept, whole, in the data folder");
  assert.is((await fetch(`${first.url}/plugins/${PLUGIN}/hit`, { method: "POST" })).status, 404, "its routes are gone");
  const health = await (await fetch(`${first.url}/health`)).json() as { plugins: Array<{ name: string }> };
  assert.not.ok(health.plugins.some((p) => p.name === PLUGIN), "/health no longer lists it");
  assert.ok((await tablesOf(admin, PLUGIN)).includes("hits"), "its table is kept");
  assert.ok(await roleExists(admin), "its role is kept");

  // Reinstall: the folder back in a host's plugins folder; the data is still there.
  const second = await startTestHost({ plugins: [join(FIXTURES, PLUGIN)] });
  hosts.push(second);
  assert.is(await hit(second), 3, "the rows from before the uninstall are still there");

  const purged = await callUninstall(second, true);
  assert.is(purged.status, 200);
  assert.is(purged.json.purged, true);
  assert.equal(await tablesOf(admin, PLUGIN), [], "the schema is gone");
  assert.not.ok(await roleExists(admin), "the role is gone");
  const schema = await admin.query("select 1 from pg_namespace where nspname = $1", [schemaOf(PLUGIN)]);
  assert.is(schema.rowCount, 0);
});

uninstall.run();
