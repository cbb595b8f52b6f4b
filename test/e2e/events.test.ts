// End to end: events between plugins in their own processes (order, refusals, bounded queues, a
// subscriber that crashes or fails), the host's lifecycle events, and extension points.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { forgetManagerRows, openManagerAdmin } from "../helpers/manager.ts";

interface Received {
  id: number;
  name: string;
  from: string;
  time: string;
  payload: Record<string, unknown> | null;
}

interface SubscriberCounters {
  delivered: number;
  dropped: number;
  failed: number;
  queued: number;
  queueSize: number;
}

interface EventsHealth {
  emitted: Record<string, number>;
  subscribers: Record<string, SubscriberCounters>;
  extensionPoints: Record<string, { owners: string[]; contributors: string[]; gathers: number; values: number; errors: number }>;
}

async function emit(t: TestHost, name: string, payloads: unknown[]): Promise<{ status: number; body: { receipts?: Array<{ id: number; queued: number }>; error?: { code: string; message: string } } }> {
  const res = await fetch(`${t.url}/plugins/ev-emitter/emit`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, payloads }),
  });
  return { status: res.status, body: await res.json() as never };
}

async function received<T = Received>(t: TestHost, plugin: string): Promise<T[]> {
  const res = await fetch(`${t.url}/plugins/${plugin}/received`);
  assert.is(res.status, 200, `${plugin}/received`);
  return await res.json() as T[];
}

async function eventsHealth(t: TestHost): Promise<EventsHealth> {
  return (await (await fetch(`${t.url}/health`)).json() as { events: EventsHealth }).events;
}

async function pluginState(t: TestHost, name: string): Promise<string | undefined> {
  const health = await (await fetch(`${t.url}/health`)).json() as { plugins: Array<{ name: string; state: string }> };
  return health.plugins.find((p) => p.name === name)?.state;
}

/** The ev.created payloads ev-subscriber has, as their `n`. */
async function createdSeen(t: TestHost, plugin = "ev-subscriber"): Promise<unknown[]> {
  return (await received(t, plugin)).filter((e) => e.name === "ev.created").map((e) => e.payload?.n);
}

/** The lifecycle events ev-subscriber has, as "kind plugin". */
async function lifecycleSeen(t: TestHost): Promise<Received[]> {
  return (await received(t, "ev-subscriber")).filter((e) => e.name.startsWith("corral.plugin."));
}

const events = suite<{ t: TestHost }>("events");

events.before(async (ctx) => {
  // The last test uninstalls ev-slow, for every host on the database until it is installed again.
  const admin = openManagerAdmin();
  await forgetManagerRows(admin, ["ev-slow"]).finally(() => admin.end());
  ctx.t = await startTestHost({
    plugins: ["ev-emitter", "ev-subscriber", "ev-slow", "ev-crashy"],
    restart: { baseDelayMs: 100, maxDelayMs: 400, maxCrashes: 2, windowMs: 60_000 },
  });
});
events.after(async (ctx) => {
  await ctx.t.close();
});

events("an event reaches its subscribers, each in its own process, in emit order, from the emitter", async ({ t }) => {
  const sent = await emit(t, "ev.created", [1, 2, 3, 4, 5].map((n) => ({ n })));
  assert.is(sent.status, 200, JSON.stringify(sent.body));
  assert.equal(sent.body.receipts!.map((r) => r.queued), [2, 2, 2, 2, 2], "queued for ev-subscriber and ev-crashy");
  const ids = sent.body.receipts!.map((r) => r.id);
  assert.equal(ids, [...ids].sort((a, b) => a - b), "ids increase");
  await eventually(async () => ((await createdSeen(t)).length === 5 ? true : undefined), 10_000, "ev-subscriber to get 5 events");
  assert.equal(await createdSeen(t), [1, 2, 3, 4, 5]);
  const first = (await received(t, "ev-subscriber")).find((e) => e.name === "ev.created")!;
  assert.is(first.from, "ev-emitter");
  assert.is(first.id, ids[0]);
  assert.ok(!Number.isNaN(Date.parse(first.time)));
  await eventually(async () => ((await received(t, "ev-crashy")).length === 5 ? true : undefined), 10_000, "ev-crashy to get 5 events");
  assert.equal(await received(t, "ev-crashy"), [1, 2, 3, 4, 5].map((n) => ({ n })));
});

events("emitting a name the manifest does not list, or one of the host's, is refused with CALL_DENIED", async ({ t }) => {
  const undeclared = await emit(t, "ev.undeclared", [{}]);
  assert.is(undeclared.status, 403);
  assert.is(undeclared.body.error!.code, "CORRAL_E_CALL_DENIED");
  assert.match(undeclared.body.error!.message, /may not emit "ev\.undeclared": it is not listed in its manifest's events\.emits/);
  const reserved = await emit(t, "corral.plugin.loaded", [{ plugin: "forged" }]);
  assert.is(reserved.status, 403);
  assert.is(reserved.body.error!.code, "CORRAL_E_CALL_DENIED");
  assert.match(reserved.body.error!.message, /reserved to the host/);
  assert.not.ok((await lifecycleSeen(t)).some((e) => e.payload?.plugin === "forged"));
});

events("a subscriber to corral.plugin.* hears that every plugin was loaded, from the host", async ({ t }) => {
  const loaded = await eventually(async () => {
    const seen = (await lifecycleSeen(t)).filter((e) => e.name === "corral.plugin.loaded");
    return seen.length >= 4 ? seen : undefined;
  }, 10_000, "four loaded events");
  assert.equal(loaded.map((e) => e.payload!.plugin).sort(), ["ev-crashy", "ev-emitter", "ev-slow", "ev-subscriber"]);
  for (const event of loaded) {
    assert.is(event.from, "corral");
    assert.equal(event.payload, { plugin: event.payload!.plugin, version: "1.0.0", state: "ready" });
  }
});

events("a slow subscriber's full queue drops new events and counts them, without slowing the emitter or others", async ({ t }) => {
  const sent = await emit(t, "ev.flood", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({ n })));
  assert.is(sent.status, 200, "every emit returned while ev-slow's handler is stuck");
  // ev-subscriber takes them all; ev-slow has one in its handler and two waiting (queueSize 2).
  assert.equal(sent.body.receipts!.map((r) => r.queued), [2, 2, 2, 1, 1, 1, 1, 1, 1, 1]);
  const stuck = (await eventsHealth(t)).subscribers["ev-slow"]!;
  assert.equal(stuck, { delivered: 0, dropped: 7, failed: 0, queued: 2, queueSize: 2 });
  assert.ok(t.logs.some((r) => r.plugin === "ev-slow" && r.level === "warn" && r.message.startsWith("event dropped") &&
    /queue is full/.test(String(r.fields?.reason))), "the drop is logged with the subscriber's name");
  await eventually(async () => {
    const flood = (await received(t, "ev-subscriber")).filter((e) => e.name === "ev.flood");
    return flood.length === 10 ? true : undefined;
  }, 10_000, "ev-subscriber to get the whole flood");
  assert.is(await (await fetch(`${t.url}/plugins/ev-slow/release`)).text(), "released");
  const after = await eventually(async () => {
    const counters = (await eventsHealth(t)).subscribers["ev-slow"]!;
    return counters.delivered === 3 ? counters : undefined;
  }, 10_000, "ev-slow's three events to be delivered");
  assert.equal(after, { delivered: 3, dropped: 7, failed: 0, queued: 0, queueSize: 2 });
  assert.equal(await received(t, "ev-slow"), [1, 2, 3].map((n) => ({ n })));
});

events("a subscriber that crashes on an event does not block the emitter or others; the failure is counted and logged, and it gets the later events after its restart", async ({ t }) => {
  const before = (await eventsHealth(t)).subscribers["ev-crashy"]!;
  assert.is((await emit(t, "ev.created", [{ n: 10, crash: true }])).status, 200);
  const later = await emit(t, "ev.created", [{ n: 11 }, { n: 12 }]);
  assert.is(later.status, 200, "emitting goes on while ev-crashy is down");
  await eventually(async () => ((await createdSeen(t)).slice(-3).join() === "10,11,12" ? true : undefined), 10_000, "ev-subscriber to get 10, 11, 12");
  const counters = await eventually(async () => {
    const c = (await eventsHealth(t)).subscribers["ev-crashy"]!;
    return c.failed === before.failed + 1 ? c : undefined;
  }, 10_000, "the failed delivery to be counted");
  assert.is(counters.dropped, before.dropped);
  const failure = t.logs.find((r) => r.plugin === "ev-crashy" && r.message.startsWith("event delivery failed"));
  assert.ok(failure, "logged with the subscriber's name");
  assert.is(failure!.fields?.code, "CORRAL_E_PLUGIN_CRASHED");
  // At most once: the event it died on is not delivered again; the ones queued meanwhile are.
  await eventually(async () => ((await received(t, "ev-crashy").catch(() => [])).length === 2 ? true : undefined), 15_000, "ev-crashy to restart and get 11 and 12");
  assert.equal(await received(t, "ev-crashy"), [{ n: 11 }, { n: 12 }]);
  const reloaded = await eventually(async () =>
    (await lifecycleSeen(t)).find((e) => e.name === "corral.plugin.loaded" && e.payload?.plugin === "ev-crashy" && e.payload.reason !== undefined), 10_000, "a loaded event after the restart");
  assert.match(String(reloaded.payload!.reason), /^restarted after: /);
});

events("a failed subscriber is announced as failed, and events for it are dropped and counted while others still get them", async ({ t }) => {
  assert.is((await emit(t, "ev.created", [{ n: 20, crash: true }])).status, 200);
  const failed = await eventually(async () =>
    (await lifecycleSeen(t)).find((e) => e.name === "corral.plugin.failed" && e.payload?.plugin === "ev-crashy"), 15_000, "a failed event for ev-crashy");
  assert.is(failed.from, "corral");
  assert.is(failed.payload!.state, "failed");
  assert.match(String(failed.payload!.reason), /crashed 2 times within 60 s/);
  assert.is(await pluginState(t, "ev-crashy"), "failed");
  const dropped = (await eventsHealth(t)).subscribers["ev-crashy"]!.dropped;
  const sent = await emit(t, "ev.created", [{ n: 21 }]);
  assert.is(sent.body.receipts![0]!.queued, 1, "queued for ev-subscriber only");
  assert.is((await eventsHealth(t)).subscribers["ev-crashy"]!.dropped, dropped + 1);
  await eventually(async () => ((await createdSeen(t)).at(-1) === 21 ? true : undefined), 10_000, "ev-subscriber to get 21");
});

events("uninstalling a plugin is announced as unloaded, and its counters leave /health", async ({ t }) => {
  const res = await fetch(`${t.url}/admin/plugins/ev-slow/uninstall`, { method: "POST", headers: { authorization: `Bearer ${t.host.adminToken}` } });
  assert.is(res.status, 200, await res.clone().text());
  const unloaded = await eventually(async () =>
    (await lifecycleSeen(t)).find((e) => e.name === "corral.plugin.unloaded"), 10_000, "an unloaded event");
  assert.equal(unloaded.payload, { plugin: "ev-slow", version: "1.0.0", state: "uninstalled", reason: "uninstalled" });
  const health = await eventsHealth(t);
  assert.not.ok("ev-slow" in health.subscribers);
  assert.ok(health.emitted.corral! >= 6, "the host's own events are counted");
  assert.ok(health.emitted["ev-emitter"]! >= 19);
});

events.run();

const extensions = suite<{ t: TestHost }>("extension points");

extensions.before(async (ctx) => {
  ctx.t = await startTestHost({ plugins: ["xp-owner", "xp-contributor", "xp-broken", "xp-slow"] });
});
extensions.after(async (ctx) => {
  await ctx.t.close();
});

extensions("gather answers every contributor by name: two values, and an error entry each for one that throws and one that hangs", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/xp-owner/gather?point=xp.menu`);
  assert.is(res.status, 200);
  const results = await res.json() as Array<{ plugin: string; value?: unknown; error?: { code: string; message: string } }>;
  assert.equal(results.map((r) => r.plugin), ["xp-broken", "xp-contributor", "xp-owner", "xp-slow"]);
  assert.is(results[0]!.error!.code, "CORRAL_E_CALL_FAILED");
  assert.match(results[0]!.error!.message, /its contribution to "xp\.menu" threw: no menu today/);
  assert.equal(results[1], { plugin: "xp-contributor", value: { label: "Contributor", user: "ada" } });
  assert.equal(results[2], { plugin: "xp-owner", value: { label: "Owner" } });
  assert.is(results[3]!.error!.code, "CORRAL_E_CALL_TIMEOUT");
  assert.match(results[3]!.error!.message, /within 1000 ms/);
  const health = (await (await fetch(`${t.url}/health`)).json() as { events: EventsHealth }).events;
  assert.equal(health.extensionPoints["xp.menu"], {
    owners: ["xp-owner"], contributors: ["xp-broken", "xp-contributor", "xp-owner", "xp-slow"], gathers: 1, values: 2, errors: 2,
  });
  assert.ok(t.logs.some((r) => r.plugin === "xp-broken" && r.message === "contribution failed"), "the failure is logged with its name");
});

extensions("only the owner may gather a point; an undeclared one is refused too", async ({ t }) => {
  const foreign = await (await fetch(`${t.url}/plugins/xp-contributor/gather`)).json() as { error: { code: string; message: string } };
  assert.is(foreign.error.code, "CORRAL_E_CALL_DENIED");
  assert.match(foreign.error.message, /plugin "xp-contributor" may not gather "xp\.menu": only the plugin that declares an extension point may gather it/);
  const undeclared = await (await fetch(`${t.url}/plugins/xp-owner/gather?point=xp.other`)).json() as { error: { code: string } };
  assert.is(undeclared.error.code, "CORRAL_E_CALL_DENIED");
});

extensions("contributing to a point nobody declares is a warning at load, not a refusal", async ({ t }) => {
  const warning = t.logs.find((r) => r.plugin === "xp-contributor" && r.level === "warn" && r.message.includes('"xp.nowhere"'));
  assert.ok(warning, "warned");
  assert.match(warning!.message, /no loaded plugin declares/);
  assert.is(await pluginState(t, "xp-contributor"), "ready");
});

extensions.run();
