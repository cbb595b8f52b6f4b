// End to end: connections during a swap. mgr-pool has a pool of 3; its old process holds all 3
// (slow statements in flight) when a restart switches traffic to the new process, whose own pool
// then needs 3 at once while the old ones drain. The role's CONNECTION LIMIT covers both pools,
// so neither the swap nor a request fails for want of a connection.
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { adminPost, forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";
import { openAdmin, resetPluginDatabases, roleOf } from "../helpers/plugin-database.ts";

const PLUGIN = "mgr-pool";
const POOL = 3;
const test = suite("manager: connections during a swap");
const hosts: TestHost[] = [];
const managerAdmin = openManagerAdmin();
const admin: pg.Pool = openAdmin("manager connections e2e");

test.before(async () => {
  await forgetManagerRows(managerAdmin, [PLUGIN]);
  await resetPluginDatabases(admin, [PLUGIN]);
});
test.after(async () => {
  for (const t of hosts) await t.close();
  await forgetManagerRows(managerAdmin, [PLUGIN]);
  await resetPluginDatabases(admin, [PLUGIN]);
  await Promise.all([managerAdmin.end(), admin.end()]);
});

/** A request holding one connection for `ms`; a network failure is an answer with status 0 (never an unhandled rejection). */
const hold = (t: TestHost, ms: number) => fetch(`${t.url}/plugins/${PLUGIN}/hold/${ms}`)
  .then(async (r) => ({ status: r.status, text: await r.text() }), (error: Error) => ({ status: 0, text: error.message }));

test("a restart while the old pool is full: the new pool gets its connections too", async () => {
  const t = await startTestHost({ plugins: [PLUGIN] });
  hosts.push(t);
  const before = await (await fetch(`${t.url}/plugins/${PLUGIN}/`)).text();
  const role = await roleOf(admin, PLUGIN);
  const { rows } = await admin.query("SELECT rolconnlimit FROM pg_roles WHERE rolname = $1", [role]);
  assert.is(rows[0].rolconnlimit, 2 * POOL + 2, "CONNECTION LIMIT = two pools + 2");

  let oldDone = false;
  const old = Promise.all(Array.from({ length: POOL }, () => hold(t, 2500))).finally(() => (oldDone = true));
  // Wait until the old process holds its whole pool.
  while ((await admin.query("SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND query LIKE '%pg_sleep%' AND state = 'active'", [role])).rowCount! < POOL) {
    await new Promise((r) => setTimeout(r, 20));
  }
  // The restart answers once the old process has drained; traffic switches before that.
  const restarted = adminPost(t, `/plugins/${PLUGIN}/restart`, {}).catch((error: Error) => ({ status: 0, json: error.message }));
  await eventually(async () => (await (await fetch(`${t.url}/plugins/${PLUGIN}/`)).text()) !== before || undefined, 5000, "the new process serving");
  const fresh = await Promise.all(Array.from({ length: POOL }, () => hold(t, 100)));
  assert.not.ok(oldDone, "precondition: the old pool was still full while the new one filled");
  for (const answer of fresh) assert.is(answer.status, 200, answer.text);
  for (const answer of await old) assert.is(answer.status, 200, `the old process drained: ${answer.text}`);
  const answer = await restarted;
  assert.is(answer.status, 200, JSON.stringify(answer.json));
});

test.run();
