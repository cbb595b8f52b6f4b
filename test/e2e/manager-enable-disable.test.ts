// End to end: an operator disables a plugin (its dependents by choice), its routes answer 503
// once in-flight requests have drained, the decision survives a host restart, enabling brings
// back what was disabled with it, and a restart swaps the process without failing a request.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isAlive, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { adminPost, forgetManagerRows, healthOf, openManagerAdmin } from "../helpers/manager.ts";
import type pg from "pg";

const BASE = "mgr-base";
const DEPENDENT = "mgr-dependent";
const test = suite("manager: enable, disable, restart");
const hosts: TestHost[] = [];
const admin: pg.Pool = openManagerAdmin();

test.before(() => forgetManagerRows(admin, [BASE, DEPENDENT]));
test.after(async () => {
  for (const t of hosts) await t.close();
  await forgetManagerRows(admin, [BASE, DEPENDENT]);
  await admin.end();
});

test("disable drains, answers 503, persists across a host restart; enable brings the dependents back", async () => {
  const first = await startTestHost({ plugins: [BASE, DEPENDENT] });
  hosts.push(first);
  assert.is((await fetch(`${first.url}/plugins/${BASE}/`)).status, 200);
  const pid = healthOf(first, BASE).pid!;

  const refused = await adminPost(first, `/plugins/${BASE}/disable`, {});
  assert.is(refused.status, 409);
  assert.is(refused.json.error.code, "CORRAL_E_HAS_DEPENDENTS");
  assert.match(refused.json.error.message, /"mgr-dependent"/);
  assert.match(refused.json.error.message, /"dependents": "disable"/);
  assert.is((await fetch(`${first.url}/plugins/${BASE}/`)).status, 200, "a refused disable changes nothing");

  // A request in flight when the plugin is disabled still gets its answer.
  const slow = fetch(`${first.url}/plugins/${BASE}/slow/700`).then(async (r) => ({ status: r.status, text: await r.text() }));
  await new Promise((r) => setTimeout(r, 150)); // let the slow request reach the plugin
  const disabled = await adminPost(first, `/plugins/${BASE}/disable`, { dependents: "disable", reason: "maintenance" });
  assert.is(disabled.status, 200, JSON.stringify(disabled.json));
  assert.equal(disabled.json.alsoChanged, [DEPENDENT]);
  const drained = await slow;
  assert.is(drained.status, 200, `the in-flight request drained: ${drained.text}`);
  assert.not.ok(isAlive(pid), "the process stopped");

  const after = await fetch(`${first.url}/plugins/${BASE}/`);
  assert.is(after.status, 503);
  const body = await after.json() as { error: { code: string; message: string } };
  assert.is(body.error.code, "CORRAL_E_PLUGIN_DISABLED");
  assert.match(body.error.message, /maintenance/);
  const page = await fetch(`${first.url}/plugins/${BASE}/`, { headers: { accept: "text/html" } });
  assert.is(page.status, 503);
  assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  assert.is((await fetch(`${first.url}/plugins/${DEPENDENT}/`)).status, 503, "the dependent went down with it");
  const baseHealth = healthOf(first, BASE);
  assert.is(baseHealth.state, "disabled");
  assert.is(baseHealth.disabled?.by, "bootstrap");
  assert.is(healthOf(first, DEPENDENT).disabled?.with, BASE);
  await first.close();
  hosts.splice(0);

  // A new host on the same database: both stay disabled, never started.
  const second = await startTestHost({ plugins: [BASE, DEPENDENT] });
  hosts.push(second);
  assert.is(healthOf(second, BASE).state, "disabled");
  assert.is(healthOf(second, BASE).pid, null);
  assert.is(healthOf(second, DEPENDENT).state, "disabled");
  assert.is((await fetch(`${second.url}/plugins/${BASE}/`)).status, 503);

  const enabled = await adminPost(second, `/plugins/${BASE}/enable`, {});
  assert.is(enabled.status, 200, JSON.stringify(enabled.json));
  assert.equal(enabled.json.alsoChanged, [DEPENDENT]);
  assert.is(await (await fetch(`${second.url}/plugins/${BASE}/`)).text().then((t) => t.split(" ")[0]), BASE);
  assert.is(await (await fetch(`${second.url}/plugins/${DEPENDENT}/`)).text(), `${DEPENDENT} 1.0.0`);
  assert.is(healthOf(second, DEPENDENT).state, "ready");
  const logged = second.logs.filter((r) => r.message === "plugin enabled");
  assert.is(logged.length, 1, "the enable is logged");
  assert.is(logged[0]!.fields?.by, "bootstrap", "with who did it");
});

test("keep leaves dependents running; restart swaps the process while requests keep succeeding", async () => {
  const t = hosts[0]!;
  const kept = await adminPost(t, `/plugins/${BASE}/disable`, { dependents: "keep" });
  assert.is(kept.status, 200);
  assert.equal(kept.json.alsoChanged, []);
  assert.match(kept.json.message, /may fail/);
  assert.is(healthOf(t, DEPENDENT).state, "ready");
  assert.is((await adminPost(t, `/plugins/${BASE}/enable`, {})).status, 200);

  const before = (await (await fetch(`${t.url}/plugins/${BASE}/`)).text()).split(" ")[2];
  let stop = false;
  const statuses: number[] = [];
  const loop = (async () => {
    while (!stop) statuses.push((await fetch(`${t.url}/plugins/${BASE}/`)).status);
  })();
  const restarted = await adminPost(t, `/plugins/${BASE}/restart`, {});
  stop = true;
  await loop;
  assert.is(restarted.status, 200, JSON.stringify(restarted.json));
  const afterId = (await (await fetch(`${t.url}/plugins/${BASE}/`)).text()).split(" ")[2];
  assert.is.not(afterId, before, "a new process answers");
  assert.ok(statuses.length > 0);
  assert.equal([...new Set(statuses)], [200], "no request failed during the restart");
  assert.is(healthOf(t, BASE).lastSwap?.ok, true);

  const unknown = await adminPost(t, `/plugins/nope/restart`, {});
  assert.is(unknown.status, 404);
  const bad = await adminPost(t, `/plugins/${BASE}/disable`, { dependents: "maybe" });
  assert.is(bad.status, 400);
  assert.match(bad.json.error.message, /"dependents"/);
});

test.run();
