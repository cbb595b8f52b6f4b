// End to end: corral/testing's startHarness as a plugin author uses it: a real host with one
// plugin (a real Deno process, its own Postgres schema in a scratch database), real HTTP through
// fetch, the plugin's log records, its health and grants; stop() leaves no process, database
// or role behind; a plugin that cannot start is refused with its reason.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { startHarness } from "corral/testing";
import { requireDatabaseUrl } from "../helpers/database.ts";
import { FIXTURES, isAlive } from "../helpers/host.ts";

const serverUrl = requireDatabaseUrl("harness e2e");

async function query(sql: string, values: unknown[] = []): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

test("a plugin with a database, an env grant and logs, on a real host; stop() leaves nothing behind", async () => {
  const harness = await startHarness({ plugin: pathToFileURL(join(FIXTURES, "dv-notes")), env: { DV_GREETING: "hi from the test", OTHER: "not granted" } });
  let pid: number | null = null;
  let roles: string[] = [];
  try {
    assert.is(harness.name, "dv-notes");
    assert.match(harness.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.is(harness.pluginUrl, `${harness.url}/plugins/dv-notes`);
    const health = harness.health() as unknown as { state: string; pid: number | null; grants: { env: string[] } };
    assert.is(health.state, "ready");
    assert.equal(health.grants.env, ["DV_GREETING"]);
    pid = health.pid;
    assert.ok(pid !== null && isAlive(pid), "a Deno process serves it");

    assert.is((await harness.fetch("/notes", { method: "POST", body: "first" })).status, 201);
    assert.is((await harness.fetch("notes", { method: "POST", body: "second" })).status, 201);
    assert.equal(await (await harness.fetch("/notes")).json(), [{ id: "1", text: "first" }, { id: "2", text: "second" }]);
    assert.is(await (await harness.fetch("/greeting")).text(), "hi from the test");
    const noteLogs = harness.logs().filter((r) => r.plugin === "dv-notes" && r.message === "note added");
    assert.equal(noteLogs.map((r) => r.fields?.id), [1, 2]);
    const hostHealth = await (await fetch(`${harness.url}/health`)).json() as { plugins: { name: string }[] };
    assert.equal(hostHealth.plugins.map((p) => p.name), ["dv-notes"], "the host serves that plugin alone");

    const scratch = await query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`corral_harness_${process.pid}_%`]) as { datname: string }[];
    assert.is(scratch.length, 1, "the harness made one scratch database");
    const [comment] = await query("SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [scratch[0]!.datname]) as { comment: string }[];
    roles = (JSON.parse(comment!.comment) as { roles: string[] }).roles;
    assert.equal(roles.length, 1, "its comment names the plugin's role");
    assert.match(roles[0]!, /^plugin_dv_notes_[0-9a-f]{8}$/);
    assert.equal(await query("SELECT rolname FROM pg_roles WHERE rolname = $1", roles), [{ rolname: roles[0] }], "which the plugin was given");
  } finally {
    await harness.stop();
  }
  await harness.stop(); // twice is fine
  assert.ok(pid !== null && !isAlive(pid), "the plugin's process is gone");
  assert.equal(await query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`corral_harness_${process.pid}_%`]), [], "its database is dropped");
  assert.equal(await query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])", [roles]), [], "its role is dropped");
});

test("a policy given to the harness applies: a plugin asking for a variable it denies is refused, saying why", async () => {
  try {
    await startHarness({ plugin: join(FIXTURES, "dv-notes"), env: { DV_GREETING: "secret" }, policy: { env: { deny: ["DV_GREETING"] } } });
    assert.unreachable("the policy should refuse the plugin");
  } catch (error) {
    assert.is((error as { code?: string }).code, "CORRAL_E_POLICY_DENIED", (error as Error).message);
    assert.match((error as Error).message, /plugin "dv-notes" was refused by the harness's host: .*DV_GREETING/s);
  }
});

test("a plugin that cannot start is refused with its reason, and nothing is left running", async () => {
  const before = await query("SELECT datname FROM pg_database WHERE datname LIKE 'corral_harness_%'");
  try {
    await startHarness({ plugin: join(FIXTURES, "dv-broken") });
    assert.unreachable("startHarness should refuse a plugin that does not start");
  } catch (error) {
    assert.is((error as { code?: string }).code, "CORRAL_E_INIT_FAILED");
    assert.match((error as Error).message, /plugin "dv-broken" did not start on the harness's host: .*dv-broken fails on purpose/s);
  }
  assert.equal(await query("SELECT datname FROM pg_database WHERE datname LIKE 'corral_harness_%'"), before);
  try {
    await startHarness({ plugin: join(FIXTURES, "no-such-plugin") });
    assert.unreachable("a missing folder is refused");
  } catch (error) {
    assert.match((error as Error).message, /CORRAL_E_MANIFEST_INVALID|plugin\.json: cannot read the manifest/);
  }
});

test.run();
