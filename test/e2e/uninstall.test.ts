// End to end: uninstall stops and unloads a plugin and moves its folder aside; its schema and
// role stay unless asked to purge, and a purge drops both. Uninstall is cluster-wide and sticky:
// every host on the database drops the plugin, and none brings it back until it is installed again.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { eventually, FIXTURES, startTestHost } from "../helpers/host.ts";
import { adminGet, adminPost, forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";
import type { TestHost } from "../helpers/host.ts";
import { openAdmin, resetPluginDatabases, roleOf, schemaOf, tablesOf } from "../helpers/plugin-database.ts";

const PLUGIN = "dbe2e-uninstall";
const uninstall = suite<{ admin: pg.Pool; hosts: TestHost[] }>("uninstall");

uninstall.before(async (ctx) => {
  ctx.admin = openAdmin("uninstall e2e");
  ctx.hosts = [];
  await resetPluginDatabases(ctx.admin, [PLUGIN]);
  await forgetManagerRows(ctx.admin, [PLUGIN]);
});
uninstall.after(async (ctx) => {
  for (const host of ctx.hosts) await host.close();
  await resetPluginDatabases(ctx.admin, [PLUGIN]);
  await forgetManagerRows(ctx.admin, [PLUGIN]);
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
  return (await admin.query("select 1 from pg_roles where rolname = $1", [await roleOf(admin, PLUGIN)])).rowCount === 1;
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

  // The uninstall is recorded for every host: a host started with the folder in its plugins
  // folder leaves it alone, until the plugin is installed again; then the data is still there.
  const second = await startTestHost({ plugins: [join(FIXTURES, PLUGIN)] });
  hosts.push(second);
  assert.is((await fetch(`${second.url}/plugins/${PLUGIN}/hit`, { method: "POST" })).status, 404, "an uninstalled plugin's folder is ignored");
  assert.ok(second.logs.some((r) => r.plugin === PLUGIN && r.message === "plugin folder ignored: the plugin was uninstalled"));
  const reinstalled = await adminPost(second, "/plugins/install", { path: join(second.pluginsDir, PLUGIN) });
  assert.is(reinstalled.status, 200, JSON.stringify(reinstalled.json));
  assert.is((await adminPost(second, `/plugins/${PLUGIN}/activate`, { version: reinstalled.json.version })).status, 200);
  assert.is(await hit(second), 3, "the rows from before the uninstall are still there");

  const purged = await callUninstall(second, true);
  assert.is(purged.status, 200);
  assert.is(purged.json.purged, true);
  assert.equal(await tablesOf(admin, PLUGIN), [], "the schema is gone");
  assert.not.ok(await roleExists(admin), "the role is gone");
  const schema = await admin.query("select 1 from pg_namespace where nspname = $1", [schemaOf(PLUGIN)]);
  assert.is(schema.rowCount, 0);
});

const SHARED = "rg-uninstall";
const served = async (t: TestHost) => (await fetch(`${t.url}/plugins/${SHARED}/`)).status;

uninstall("two hosts on one database: an uninstall on A removes the plugin from B; a restarted host does not bring it back; an install does", async ({ hosts }) => {
  const managerAdmin = openManagerAdmin();
  await forgetManagerRows(managerAdmin, [SHARED]);
  try {
    const env = { CORRAL_SECRET: randomBytes(32).toString("base64url") };
    const a = await startTestHost({ plugins: [SHARED], env });
    hosts.push(a);
    const b = await startTestHost({ plugins: [SHARED], env });
    hosts.push(b);
    assert.is(await served(a), 200);
    assert.is(await served(b), 200);

    const removed = await adminPost(a, `/plugins/${SHARED}/uninstall`, {});
    assert.is(removed.status, 200, JSON.stringify(removed.json));
    assert.is(await served(a), 404);
    await eventually(async () => (await served(b)) === 404 || undefined, 5000, "B drops the plugin uninstalled on A");
    const listed = await adminGet(b, "/plugins");
    assert.not.ok(listed.json.plugins.some((p: { name: string }) => p.name === SHARED), "B no longer lists it");
    // Logged once B's deployment has stopped, which may be after its routes answer 404.
    await eventually(() => b.logs.some((r) => r.plugin === SHARED && r.message === "plugin removed from this host: uninstalled") || undefined,
      5000, "B logs the removal");
    // B's process wrote its last states after the uninstall; the uninstall stands beside them.
    const row = (await managerAdmin.query("select uninstalled_at, uninstalled_by from corral.plugins where name = $1", [SHARED])).rows[0];
    assert.ok(row.uninstalled_at !== null, "recorded as uninstalled");
    assert.is(row.uninstalled_by, "bootstrap", "by the caller of the admin API (the bootstrap token)");

    // B restarts (a new host with the same plugins folder): the plugin stays uninstalled.
    await b.close();
    hosts.splice(hosts.indexOf(b), 1);
    const c = await startTestHost({ plugins: [SHARED], env });
    hosts.push(c);
    assert.is(await served(c), 404);
    assert.is(c.host.health().status, "ok", "an ignored folder is not a fault");

    // Installed again (from C's folder) and activated: every host serves it, A from the stored files.
    const installed = await adminPost(c, "/plugins/install", { path: join(c.pluginsDir, SHARED) });
    assert.is(installed.status, 200, JSON.stringify(installed.json));
    assert.is((await adminPost(c, `/plugins/${SHARED}/activate`, { version: "1.0.0" })).status, 200);
    assert.is(await served(c), 200);
    await eventually(async () => (await served(a)) === 200 || undefined, 10_000, "A serves the reinstalled plugin");
  } finally {
    await forgetManagerRows(managerAdmin, [SHARED]);
    await managerAdmin.end();
  }
});

uninstall.run();
