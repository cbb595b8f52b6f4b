// End to end: two hosts on one database follow each other's decisions within a second (LISTEN/
// NOTIFY): disable, enable and restart on A reach B; a version installed and activated on A, from a folder
// B never sees, is served by B from the files stored in the database.
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, FIXTURES, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { adminGet, adminPost, forgetManagerRows, healthOf, openManagerAdmin } from "../helpers/manager.ts";

const PLUGIN = "mgr-base";
const test = suite("manager: two hosts");
const hosts: TestHost[] = [];
const admin = openManagerAdmin();

test.before(() => forgetManagerRows(admin, [PLUGIN]));
test.after(async () => {
  for (const t of hosts) await t.close();
  await forgetManagerRows(admin, [PLUGIN]);
  await admin.end();
});

const status = async (t: TestHost) => (await fetch(`${t.url}/plugins/${PLUGIN}/`)).status;
const processServing = async (t: TestHost) => (await (await fetch(`${t.url}/plugins/${PLUGIN}/`)).text()).split(" ")[2];
const versionServed = async (t: TestHost) => (await (await fetch(`${t.url}/plugins/${PLUGIN}/`)).text()).split(" ")[1];

test("disable, enable, install and activate on A reach B", async () => {
  const env = { CORRAL_SECRET: randomBytes(32).toString("base64url") };
  const a = await startTestHost({ plugins: [PLUGIN], env });
  hosts.push(a);
  const b = await startTestHost({ plugins: [PLUGIN], env });
  hosts.push(b);
  assert.is(await status(b), 200);

  assert.is((await adminPost(a, `/plugins/${PLUGIN}/disable`, {})).status, 200);
  await eventually(async () => (await status(b)) === 503 || undefined, 1000, "B answers 503 within a second of the disable on A");
  assert.is(b.host.health().plugins.find((p) => p.name === PLUGIN)?.state, "disabled");

  assert.is((await adminPost(a, `/plugins/${PLUGIN}/enable`, {})).status, 200);
  await eventually(async () => (await status(b)) === 200 || undefined, 5000, "B serves again after the enable on A");

  // A restart is cluster-wide: the operator restarts "the plugin", every host's process is replaced.
  const [beforeA, beforeB] = [await processServing(a), await processServing(b)];
  const restarted = await adminPost(a, `/plugins/${PLUGIN}/restart`, {});
  assert.is(restarted.status, 200, JSON.stringify(restarted.json));
  assert.is.not(await processServing(a), beforeA, "A restarted its process");
  await eventually(async () => (await processServing(b)) !== beforeB || undefined, 5000, "B restarts its process after the restart on A");
  assert.is(healthOf(b, PLUGIN).restarts, 0, "by a swap, not a crash");

  // A new version in a folder only A's operator has; removed before it is activated.
  const source = await mkdtemp(join(tmpdir(), "corral-mgr-install-"));
  const folder = join(source, PLUGIN);
  await cp(join(FIXTURES, PLUGIN), folder, { recursive: true });
  const manifest = JSON.parse(await readFile(join(folder, "plugin.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(folder, "plugin.json"), JSON.stringify({ ...manifest, version: "1.1.0" }));
  const installed = await adminPost(a, "/plugins/install", { path: folder });
  assert.is(installed.status, 200, JSON.stringify(installed.json));
  assert.is(installed.json.version, "1.1.0");
  await rm(source, { recursive: true, force: true });

  const versions = await adminGet(b, `/plugins/${PLUGIN}/versions`);
  assert.equal(versions.json.versions.map((v: { version: string; active: boolean }) => [v.version, v.active]), [["1.1.0", false], ["1.0.0", true]]);

  const activated = await adminPost(a, `/plugins/${PLUGIN}/activate`, { version: "1.1.0" });
  assert.is(activated.status, 200, JSON.stringify(activated.json));
  assert.is(await versionServed(a), "1.1.0");
  await eventually(async () => (await versionServed(b)) === "1.1.0" || undefined, 10_000, "B serves the version activated on A");

  // Rolling back is one action too.
  assert.is((await adminPost(b, `/plugins/${PLUGIN}/activate`, { version: "1.0.0" })).status, 200);
  assert.is(await versionServed(b), "1.0.0");
  await eventually(async () => (await versionServed(a)) === "1.0.0" || undefined, 10_000, "A follows the rollback made on B");

  const unknown = await adminPost(a, `/plugins/${PLUGIN}/activate`, { version: "9.9.9" });
  assert.is(unknown.status, 400);
  assert.match(unknown.json.error.message, /installed: .*1\.1\.0/);
  const missing = await adminPost(a, "/plugins/install", { path: "relative/path" });
  assert.is(missing.status, 400);
});

test.run();
