/** Tests of the event bus and its subscriber queues: matching, order, bounds, drops, failures, restarts. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { DeliveredEvent } from "../../../schemas/events.ts";
import { EventBus } from "../../../host/events/event-bus.ts";
import { SubscriberQueue } from "../../../host/events/subscriber-queue.ts";
import { type FakePeer, fakePeer, gate, recordingLogger, settle } from "../../helpers/event-peers.ts";

function busOf(...peers: FakePeer[]) {
  const { log, records } = recordingLogger();
  return { bus: new EventBus(() => peers, log), records };
}

function names(peer: FakePeer): string[] {
  return peer.calls.map((c) => `${(c.payload as DeliveredEvent).name}:${JSON.stringify((c.payload as DeliveredEvent).payload)}`);
}

test("an event is queued for every plugin whose subscriptions match it, exactly or by prefix, and for no other", async () => {
  const exact = fakePeer("exact", { events: { subscribes: ["notes.created"] } });
  const prefix = fakePeer("prefix", { events: { subscribes: ["notes.*"] } });
  const other = fakePeer("other", { events: { subscribes: ["tasks.*"] } });
  const { bus } = busOf(exact, prefix, other);
  const receipt = bus.emit("editor", "notes.created", { id: 1 }, 8);
  assert.equal(receipt, { id: 1, queued: 2 });
  assert.equal(bus.emit("editor", "notes.tag.added", 2, 1), { id: 2, queued: 1 });
  await settle();
  assert.equal(names(exact), ["notes.created:{\"id\":1}"]);
  assert.equal(names(prefix), ["notes.created:{\"id\":1}", "notes.tag.added:2"]);
  assert.equal(other.calls, []);
  const event = exact.calls[0]!.payload as DeliveredEvent;
  assert.is(event.from, "editor");
  assert.is(event.id, 1);
  assert.ok(!Number.isNaN(Date.parse(event.time)));
  assert.is(exact.calls[0]!.method, "events.deliver");
  assert.is(exact.calls[0]!.timeoutMs, 1000, "bounded by the subscriber's timeoutMs");
});

test("deliveries to one subscriber go one at a time, in emit order, however slow it is", async () => {
  const sub = fakePeer("sub", { events: { subscribes: ["a.*"] } }, () => new Promise((resolve) => setTimeout(resolve, 2)));
  const { bus } = busOf(sub);
  for (let i = 0; i < 20; i++) bus.emit(i % 2 === 0 ? "one" : "two", "a.b", i, 2);
  while (sub.calls.length < 20 || sub.inFlight.now > 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal(sub.calls.map((c) => (c.payload as DeliveredEvent).payload), [...Array(20).keys()]);
  assert.is(sub.inFlight.max, 1);
  assert.equal(bus.counters().subscribers.sub, { delivered: 20, dropped: 0, failed: 0, queued: 0, queueSize: 100 });
  assert.equal(bus.counters().emitted, { one: 10, two: 10 });
});

test("a full queue drops new events and counts them; the first drop of a run is logged, and so is the recovery", async () => {
  const blocked = gate();
  const slow = fakePeer("slow", { events: { subscribes: ["a.*"], queueSize: 2 } }, () => blocked.promise);
  const fast = fakePeer("fast", { events: { subscribes: ["a.*"] } });
  const { bus, records } = busOf(slow, fast);
  const receipts = [1, 2, 3, 4, 5, 6].map((i) => bus.emit("e", "a.b", i, 1));
  // 1 in flight, 2 and 3 waiting, 4 to 6 dropped: the emitter was told, and never waited.
  assert.equal(receipts.map((r) => r.queued), [2, 2, 2, 1, 1, 1]);
  await settle();
  assert.equal(bus.counters().subscribers.slow, { delivered: 0, dropped: 3, failed: 0, queued: 2, queueSize: 2 });
  assert.is(fast.calls.length, 6, "the other subscriber got everything");
  const drops = records.filter((r) => r.message.startsWith("event dropped"));
  assert.is(drops.length, 1, "one line per run of drops");
  assert.is(drops[0]!.plugin, "slow");
  assert.match(String(drops[0]!.fields?.reason), /queue is full \(2 events waiting: events\.queueSize\)/);
  blocked.open();
  await settle();
  assert.equal(bus.counters().subscribers.slow, { delivered: 3, dropped: 3, failed: 0, queued: 0, queueSize: 2 });
  bus.emit("e", "a.b", 7, 1);
  await settle();
  assert.ok(records.some((r) => r.message === "event queue has room again" && r.fields?.droppedMeanwhile === 3 && r.plugin === "slow"));
  assert.equal(slow.calls.map((c) => (c.payload as DeliveredEvent).payload), [1, 2, 3, 7]);
});

test("a queue is bounded in bytes too", async () => {
  const blocked = gate();
  const sub = fakePeer("sub", { events: { subscribes: ["a.*"] } }, () => blocked.promise);
  const { log } = recordingLogger();
  const queue = new SubscriberQueue(sub, log, 100);
  const event = (id: number): DeliveredEvent => ({ id, name: "a.b", payload: null, from: "e", time: "" });
  assert.ok(queue.offer(event(1), 60), "taken at once");
  assert.ok(queue.offer(event(2), 60));
  assert.not.ok(queue.offer(event(3), 60), "120 bytes would wait");
  assert.ok(queue.offer(event(4), 40));
  assert.is(queue.counters().dropped, 1);
  blocked.open();
});

test("a failed delivery (throws, times out, crashes) is counted and logged with the subscriber's name, and is not retried", async () => {
  const errors = [
    new CorralError(ErrorCode.CALL_FAILED, "handler threw: nope"),
    new CorralError(ErrorCode.CALL_TIMEOUT, "did not answer in time"),
    new CorralError(ErrorCode.PLUGIN_CRASHED, "ended while handling"),
  ];
  const sub = fakePeer("sub", { events: { subscribes: ["a.*"] } }, async (_m, payload) => {
    const error = errors[(payload as DeliveredEvent).payload as number];
    if (error) throw error;
  });
  const { bus, records } = busOf(sub);
  for (const i of [0, 1, 2, 3]) bus.emit("e", "a.b", i, 1);
  await settle();
  assert.equal(bus.counters().subscribers.sub, { delivered: 1, dropped: 0, failed: 3, queued: 0, queueSize: 100 });
  assert.is(sub.calls.length, 4, "each event was tried once");
  const failures = records.filter((r) => r.message.startsWith("event delivery failed"));
  assert.equal(failures.map((r) => [r.plugin, r.fields?.code, r.fields?.event]), [
    ["sub", "CORRAL_E_CALL_FAILED", "a.b"], ["sub", "CORRAL_E_CALL_TIMEOUT", "a.b"], ["sub", "CORRAL_E_PLUGIN_CRASHED", "a.b"],
  ]);
});

test("events for a subscriber that is starting or restarting wait for it; a failed or stopped one drops them", async () => {
  const sub = fakePeer("sub", { events: { subscribes: ["a.*"] } });
  sub.state = "restarting";
  const { bus, records } = busOf(sub);
  assert.is(bus.emit("e", "a.b", 1, 1).queued, 1);
  bus.emit("e", "a.b", 2, 1);
  await settle();
  assert.is(sub.calls.length, 0);
  sub.state = "ready";
  bus.stateChanged("sub");
  await settle();
  assert.equal(sub.calls.map((c) => (c.payload as DeliveredEvent).payload), [1, 2]);

  sub.state = "restarting";
  bus.emit("e", "a.b", 3, 1);
  sub.state = "failed";
  bus.stateChanged("sub");
  assert.is(bus.emit("e", "a.b", 4, 1).queued, 0, "nobody will take it");
  assert.equal(bus.counters().subscribers.sub, { delivered: 2, dropped: 2, failed: 0, queued: 0, queueSize: 100 });
  assert.ok(records.some((r) => r.message === "queued events dropped" && r.fields?.count === 1));
  assert.ok(records.some((r) => r.message.startsWith("event dropped") && /is failed/.test(String(r.fields?.reason))));
});

test("an event that never reached a plugin that just went away waits for its next start instead of failing", async () => {
  const sub = fakePeer("sub", { events: { subscribes: ["a.*"] } });
  sub.answer = async () => {
    throw new CorralError(ErrorCode.PLUGIN_UNAVAILABLE, "not ready");
  };
  const { bus } = busOf(sub);
  bus.emit("e", "a.b", 1, 1);
  await settle();
  assert.equal(bus.counters().subscribers.sub, { delivered: 0, dropped: 0, failed: 0, queued: 1, queueSize: 100 });
  sub.answer = () => Promise.resolve(null);
  sub.state = "starting";
  bus.stateChanged("sub");
  sub.state = "ready";
  bus.stateChanged("sub");
  await settle();
  assert.equal(bus.counters().subscribers.sub, { delivered: 1, dropped: 0, failed: 0, queued: 0, queueSize: 100 });
});

test("forget() drops a plugin's queue and counters; counters list every subscriber, idle ones included", () => {
  const sub = fakePeer("sub", { events: { subscribes: ["a.*"] } });
  const quiet = fakePeer("quiet", { events: { subscribes: ["z.*"] } });
  const emitter = fakePeer("emitter", { events: { emits: ["a.b"] } });
  const { bus } = busOf(sub, quiet, emitter);
  bus.emit("emitter", "a.b", 1, 1);
  assert.equal(Object.keys(bus.counters().subscribers), ["sub", "quiet"]);
  assert.equal(bus.counters().subscribers.quiet, { delivered: 0, dropped: 0, failed: 0, queued: 0, queueSize: 100 });
  bus.forget("emitter");
  assert.equal(bus.counters().emitted, {});
});

test.run();
