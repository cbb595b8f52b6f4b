// End to end: no silent schema downgrade. mgr-db 1.0.0 (migration 0001) runs; 1.1.0 adds 0002
// with a down(), 1.2.0 the same 0002 without one, 1.0.1 and 1.0.2 are 0001 only and never run before.
// Going back refuses with 409 CORRAL_E_MIGRATIONS_MISSING naming 0002 while the newer version
// keeps serving; undoMigrations runs the down (the column is gone, read in Postgres); without a
// down the refusal says which migration lacks it and what was undone; a version never run is
// refused the same way (its start checks before migrating), its migrations are then known, and
// undoMigrations works for it on the first try.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FIXTURES, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { adminGet, adminPost, forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";
import { openAdmin, recordedMigrations, resetPluginDatabases, schemaOf } from "../helpers/plugin-database.ts";

const PLUGIN = "mgr-db";
const test = suite("manager: versions and migrations");
const hosts: TestHost[] = [];
const managerAdmin = openManagerAdmin();
const admin: pg.Pool = openAdmin("manager migrations e2e");
let work = "";

const WITH_TAG = `"0002_tag": {
    up: (db) => db.schema.alterTable("items").addColumn("tag", "text").execute(),
    DOWN
  },`;
const ITEMS = `"0001_items": { up: (db) => db.schema.createTable("items").addColumn("id", "serial", (c) => c.primaryKey()).execute() },`;

/** A copy of the mgr-db fixture as `version`, with these migrations, installed through the admin API. */
async function install(t: TestHost, version: string, migrations: string): Promise<void> {
  const folder = join(work, version, PLUGIN);
  await cp(join(FIXTURES, PLUGIN), folder, { recursive: true });
  const manifest = JSON.parse(await readFile(join(folder, "plugin.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(folder, "plugin.json"), JSON.stringify({ ...manifest, version }));
  await writeFile(join(folder, "migrations.ts"),
    `import type { PluginMigrations } from "@corral/sdk";\nexport const migrations: PluginMigrations = {\n  ${migrations}\n};\n`);
  const answer = await adminPost(t, "/plugins/install", { path: folder });
  assert.is(answer.status, 200, JSON.stringify(answer.json));
}

const served = async (t: TestHost) => (await (await fetch(`${t.url}/plugins/${PLUGIN}/`)).text()).split(" ")[1];

/** Whether items has the column 0002_tag adds, as Postgres says. */
async function hasTag(): Promise<boolean> {
  const { rowCount } = await admin.query(
    "SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'items' AND column_name = 'tag'", [schemaOf(PLUGIN)]);
  return rowCount === 1;
}

const applied = async () => (await recordedMigrations(admin, PLUGIN)).map((m) => m.name);

test.before(async () => {
  await forgetManagerRows(managerAdmin, [PLUGIN]);
  await resetPluginDatabases(admin, [PLUGIN]);
  work = await mkdtemp(join(tmpdir(), "corral-mgr-versions-"));
});
test.after(async () => {
  for (const t of hosts) await t.close();
  await forgetManagerRows(managerAdmin, [PLUGIN]);
  await resetPluginDatabases(admin, [PLUGIN]);
  await Promise.all([managerAdmin.end(), admin.end()]);
  await rm(work, { recursive: true, force: true });
});

test("going back refuses while 0002 is applied; undoMigrations runs its down", async () => {
  const t = await startTestHost({ plugins: [PLUGIN] });
  hosts.push(t);
  assert.is(await served(t), "1.0.0");
  await install(t, "1.1.0", `${ITEMS}\n  ${WITH_TAG.replace("DOWN", `down: (db) => db.schema.alterTable("items").dropColumn("tag").execute(),`)}`);
  await install(t, "1.2.0", `${ITEMS}\n  ${WITH_TAG.replace("DOWN", "")}`);
  await install(t, "1.0.1", ITEMS);
  await install(t, "1.0.2", ITEMS);

  const up = await adminPost(t, `/plugins/${PLUGIN}/activate`, { version: "1.1.0" });
  assert.is(up.status, 200, JSON.stringify(up.json));
  assert.is(await served(t), "1.1.0");
  assert.ok(await hasTag(), "0002 applied");

  const refused = await adminPost(t, `/plugins/${PLUGIN}/activate`, { version: "1.0.0" });
  assert.is(refused.status, 409, JSON.stringify(refused.json));
  assert.is(refused.json.error.code, "CORRAL_E_MIGRATIONS_MISSING");
  assert.match(refused.json.error.message, /"0002_tag"/);
  assert.match(refused.json.error.message, /"undoMigrations": true/);
  assert.is(await served(t), "1.1.0", "the newer version keeps serving");
  assert.ok(await hasTag(), "nothing was undone");

  const undone = await adminPost(t, `/plugins/${PLUGIN}/activate`, { version: "1.0.0", undoMigrations: true });
  assert.is(undone.status, 200, JSON.stringify(undone.json));
  assert.is(await served(t), "1.0.0");
  assert.not.ok(await hasTag(), "the down ran: the column is gone");
  assert.equal(await applied(), ["0001_items"]);

  // A version never run, with undoMigrations at once: its refusal teaches its migrations, then the down runs.
  assert.is((await adminPost(t, `/plugins/${PLUGIN}/activate`, { version: "1.1.0" })).status, 200);
  assert.ok(await hasTag());
  const learnt = await adminPost(t, `/plugins/${PLUGIN}/activate`, { version: "1.0.2", undoMigrations: true });
  assert.is(learnt.status, 200, JSON.stringify(learnt.json));
  assert.is(await served(t), "1.0.2");
  assert.not.ok(await hasTag(), "the down ran");
});

test("a 0002 without down is refused, saying so and what was undone; a version never run is refused naming 0002", async () => {
  const t = hosts[0]!;
  assert.is((await adminPost(t, `/plugins/${PLUGIN}/activate`, { version: "1.2.0" })).status, 200);
  assert.ok(await hasTag());

  const noDown = await adminPost(t, `/plugins/${PLUGIN}/activate`, { version: "1.0.0", undoMigrations: true });
  assert.is(noDown.status, 409, JSON.stringify(noDown.json));
  assert.is(noDown.json.error.code, "CORRAL_E_MIGRATIONS_MISSING");
  assert.match(noDown.json.error.message, /"0002_tag".*has no down\(\)/);
  assert.match(noDown.json.error.message, /Undone before it: none/);
  assert.is(await served(t), "1.2.0");
  assert.ok(await hasTag(), "the column stays");

  const before = await adminGet(t, `/plugins/${PLUGIN}/versions`);
  assert.is(before.json.versions.find((v: { version: string }) => v.version === "1.0.1").migrations, null, "1.0.1 never ran: its migrations are unknown");
  const neverRun = await adminPost(t, `/plugins/${PLUGIN}/activate`, { version: "1.0.1" });
  assert.is(neverRun.status, 409, JSON.stringify(neverRun.json));
  assert.is(neverRun.json.error.code, "CORRAL_E_MIGRATIONS_MISSING");
  assert.match(neverRun.json.error.message, /does not have: "0002_tag"/);
  assert.match(neverRun.json.error.message, /never run/);
  assert.is(await served(t), "1.2.0", "the running version keeps serving");
  assert.equal(await applied(), ["0001_items", "0002_tag"], "nothing was migrated");
  const { rows } = await managerAdmin.query("SELECT active_version FROM corral.plugins WHERE name = $1", [PLUGIN]);
  assert.is(rows[0].active_version, "1.2.0", "the refused version was never recorded as active");
  const after = await adminGet(t, `/plugins/${PLUGIN}/versions`);
  assert.equal(after.json.versions.find((v: { version: string }) => v.version === "1.0.1").migrations, ["0001_items"], "learnt from its refusal");
});

test.run();
