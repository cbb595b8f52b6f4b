// End to end: what the manager changes at runtime reaches the rest of the host without a restart.
// A subscriber to corral.plugin.* hears `disabled` and `enabled` (then `loaded`); a plugin
// installed and activated through the admin API (never in the plugins folder) has its global
// hooks applied to other plugins' requests at once.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { eventually, FIXTURES, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { adminPost, forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";

const BASE = "mgr-base";
const HOOKS = "mgr-hooks";
const SUBSCRIBER = "ev-subscriber";
const test = suite("manager: runtime changes reach events and global hooks");
const hosts: TestHost[] = [];
const admin = openManagerAdmin();

interface Received {
  readonly name: string;
  readonly from: string;
  readonly payload: { plugin?: string; version?: string; reason?: string };
}

test.before(() => forgetManagerRows(admin, [BASE, HOOKS, SUBSCRIBER]));
test.after(async () => {
  for (const t of hosts) await t.close();
  await forgetManagerRows(admin, [BASE, HOOKS, SUBSCRIBER]);
  await admin.end();
});

/** "<event> <plugin>" for each lifecycle event about `plugin` the subscriber has received, in order. */
async function lifecycleOf(t: TestHost, plugin: string): Promise<string[]> {
  const all = await (await fetch(`${t.url}/plugins/${SUBSCRIBER}/received`)).json() as Received[];
  return all.filter((e) => e.name.startsWith("corral.plugin.") && e.payload.plugin === plugin)
    .map((e) => `${e.name} ${e.from}${e.payload.reason === undefined ? "" : ` (${e.payload.reason})`}`);
}

test("disable and enable reach a subscriber as corral.plugin.disabled and corral.plugin.enabled", async () => {
  const t = await startTestHost({ plugins: [BASE, SUBSCRIBER] });
  hosts.push(t);
  const before = (await lifecycleOf(t, BASE)).length;

  assert.is((await adminPost(t, `/plugins/${BASE}/disable`, { reason: "events test" })).status, 200);
  const afterDisable = await eventually(async () => {
    const seen = (await lifecycleOf(t, BASE)).slice(before);
    return seen.length > 0 ? seen : undefined;
  }, 5000, "the subscriber hears the disable");
  assert.equal(afterDisable, ["corral.plugin.disabled corral (events test)"]);

  assert.is((await adminPost(t, `/plugins/${BASE}/enable`, {})).status, 200);
  const afterEnable = await eventually(async () => {
    const seen = (await lifecycleOf(t, BASE)).slice(before + 1);
    return seen.length >= 2 ? seen : undefined;
  }, 5000, "the subscriber hears the enable, then the load");
  assert.equal(afterEnable, ["corral.plugin.enabled corral", "corral.plugin.loaded corral"]);
});

test("a plugin installed and activated at runtime has its global hooks applied without a host restart", async () => {
  const t = hosts[0]!;
  const unhooked = await fetch(`${t.url}/plugins/${BASE}/`);
  assert.is(unhooked.status, 200);
  assert.is(unhooked.headers.get("x-mgr-hooked"), null, "no hook before the install");

  const installed = await adminPost(t, "/plugins/install", { path: join(FIXTURES, HOOKS) });
  assert.is(installed.status, 200, JSON.stringify(installed.json));
  assert.is((await fetch(`${t.url}/plugins/${BASE}/`)).headers.get("x-mgr-hooked"), null, "installing is not activating");
  const activated = await adminPost(t, `/plugins/${HOOKS}/activate`, { version: "1.0.0" });
  assert.is(activated.status, 200, JSON.stringify(activated.json));

  const hooked = await fetch(`${t.url}/plugins/${BASE}/`);
  assert.is(hooked.status, 200);
  assert.is(hooked.headers.get("x-mgr-hooked"), "1.0.0", "the runtime-installed plugin's afterRequest hook ran");
  const health = await (await fetch(`${t.url}/health`)).json() as { hooks: Array<{ plugin: string; kind: string }> };
  assert.ok(health.hooks.some((h) => h.plugin === HOOKS && h.kind === "afterRequest"), "/health lists its hook");
});

test.run();
