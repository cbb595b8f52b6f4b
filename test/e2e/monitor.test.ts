// End to end: liveness pings restart a stuck plugin with the reason recorded; state history in
// memory, in the host database and in the admin API; the load balancer endpoints.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { adminPool, requireDatabaseUrl } from "../helpers/database.ts";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

interface Change { at: string; from: string; to: string; reason: string; hostId?: string }
interface Health {
  name: string; state: string; pid: number | null; restarts: number;
  lastError: { at: string; message: string } | null;
  ping: { latencyMs: number; at: string } | null;
  rssBytes: number | null;
  history?: Change[];
}

const monitor = suite<{ t: TestHost; auth: Record<string, string> }>("monitor");

monitor.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["echo", "mon-busy"],
    policy: { monitoring: { pingIntervalMs: 250, pingTimeoutMs: 400 } },
    restart: { baseDelayMs: 50, maxDelayMs: 200, maxCrashes: 5, windowMs: 60_000 },
  });
  ctx.auth = { authorization: `Bearer ${ctx.t.host.adminToken}` };
});
monitor.after(async (ctx) => {
  await ctx.t?.close();
});

async function pluginHealth(t: TestHost, name: string): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${t.url}/health/plugins/${name}`);
  return { status: res.status, body: await res.json() as Health };
}

monitor("a ready plugin is pinged: health shows the ping latency and why it is ready", async ({ t }) => {
  const health = await eventually(async () => {
    const { body } = await pluginHealth(t, "mon-busy");
    return body.ping !== null && body.rssBytes !== null ? body : undefined;
  }, 5000, "a ping and a resource sample");
  assert.ok(health.ping!.latencyMs >= 0 && Number.isFinite(health.ping!.latencyMs), "latency is a number of ms");
  assert.ok(health.rssBytes! > 1024 * 1024, "RSS is sampled");
  const last = health.history!.at(-1)!;
  assert.is(last.to, "ready");
  assert.match(last.reason, new RegExp(`process ${health.pid} is ready`));
});

monitor("a plugin that stops answering pings is killed as unresponsive, restarted, and the reason is kept", async ({ t, auth }) => {
  const before = (await pluginHealth(t, "mon-busy")).body;
  // The request itself never ends normally: the process it runs in is killed under it.
  const hung = fetch(`${t.url}/plugins/mon-busy/hang`).then((res) => res.status);
  const restarting = await eventually(async () => {
    const { body } = await pluginHealth(t, "mon-busy");
    return body.history!.find((c) => c.to === "restarting" && Date.parse(c.at) >= Date.parse(before.history!.at(-1)!.at));
  }, 10_000, "the restart after missed pings");
  assert.match(restarting.reason, /^unresponsive: missed 2 liveness pings in a row/);
  assert.is(await hung, 502, "the hung request ends as a crash");

  const after = await eventually(async () => {
    const { status, body } = await pluginHealth(t, "mon-busy");
    return status === 200 && body.pid !== before.pid ? body : undefined;
  }, 10_000, "the plugin ready again");
  assert.is(after.restarts, before.restarts + 1);
  assert.match(after.lastError!.message, /unresponsive: missed 2 liveness pings/);
  assert.is((await fetch(`${t.url}/plugins/mon-busy/`).then((r) => r.text())), "alive");

  // The admin API shows this host's history and the database's, with the host that saw it.
  const res = await fetch(`${t.url}/admin/plugins/mon-busy/history`, { headers: auth });
  assert.is(res.status, 200);
  const history = await res.json() as { recent: Change[]; stored: Change[] };
  const transitions = (list: Change[]) => list.map((c) => `${c.from}->${c.to}`);
  assert.ok(transitions(history.recent).join(" ").includes("ready->restarting restarting->ready"), transitions(history.recent).join(" "));
  const stored = await eventually(async () => {
    const r = await fetch(`${t.url}/admin/plugins/mon-busy/history`, { headers: auth });
    const body = await r.json() as { stored: Change[] };
    return body.stored.some((c) => c.to === "restarting") ? body.stored : undefined;
  }, 5000, "the restart in the database");
  const storedRestart = stored.find((c) => c.to === "restarting")!;
  assert.is(storedRestart.reason, restarting.reason);
  assert.type(storedRestart.hostId, "string");

  // Straight from the table too: migration 0004's columns.
  const pool = adminPool(requireDatabaseUrl("monitor"));
  try {
    const { rows } = await pool.query(
      "select host_id, from_state, to_state, reason from corral.plugin_state_history where plugin = $1 and host_id = $2 and to_state = 'restarting' order by id desc limit 1",
      ["mon-busy", storedRestart.hostId]);
    assert.is(rows[0]?.reason, restarting.reason);
    assert.is(rows[0]?.from_state, "ready");
  } finally {
    await pool.end();
  }
});

monitor("the history route needs a token and names unknown plugins", async ({ t, auth }) => {
  assert.is((await fetch(`${t.url}/admin/plugins/mon-busy/history`)).status, 401);
  const missing = await fetch(`${t.url}/admin/plugins/nope/history`, { headers: auth });
  assert.is(missing.status, 404);
  assert.match(await missing.text(), /no plugin named \\"nope\\"/);
});

monitor("load balancer endpoints: live, ready, ready with required plugins, per plugin", async ({ t }) => {
  const live = await fetch(`${t.url}/health/live`);
  assert.is(live.status, 200);
  const ready = await fetch(`${t.url}/health/ready`);
  assert.is(ready.status, 200);
  assert.is((await ready.json() as { status: string }).status, "ready");
  assert.is((await fetch(`${t.url}/health/ready?plugins=echo,mon-busy`)).status, 200);
  const missing = await fetch(`${t.url}/health/ready?plugins=echo,absent`);
  assert.is(missing.status, 503);
  assert.equal((await missing.json() as { notReady: unknown[] }).notReady, [{ name: "absent", state: "missing" }]);
  assert.is((await fetch(`${t.url}/health/plugins/echo`)).status, 200);
  assert.is((await fetch(`${t.url}/health/plugins/absent`)).status, 404);
});

monitor.run();

// A call into the plugin (an event delivery) that times out gets the same liveness check as a request.
const calls = suite<{ t: TestHost }>("monitor: call timeouts");
calls.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["mon-stall"],
    policy: { monitoring: { pingIntervalMs: 600_000, pingTimeoutMs: 500 } },
    restart: { baseDelayMs: 50, maxDelayMs: 200, maxCrashes: 5, windowMs: 60_000 },
  });
});
calls.after(async (ctx) => {
  await ctx.t?.close();
});

calls("a timed-out call to a stuck plugin is followed by a ping, and the plugin is restarted as unresponsive", async ({ t }) => {
  const emitted = await fetch(`${t.url}/plugins/mon-stall/stall`, { method: "POST" });
  assert.is(emitted.status, 200);
  const change = await eventually(async () => {
    const res = await fetch(`${t.url}/health/plugins/mon-stall`);
    const body = await res.json() as Health;
    return body.history!.find((c) => c.to === "restarting");
  }, 10_000, "the restart after the call timed out");
  assert.match(change.reason, /^unresponsive: a call to "[^"]+" timed out after 500 ms and the plugin did not answer a ping within 500 ms/);
});

calls.run();
