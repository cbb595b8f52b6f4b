/** Tests of the events.emit and extensions.gather host services: what a caller's manifest grants, and bad requests. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../schemas/errors.ts";
import { EventBus } from "../../../host/events/event-bus.ts";
import { ExtensionPoints } from "../../../host/events/extension-points.ts";
import { registerEventServices } from "../../../host/events/services.ts";
import { ServiceRegistry } from "../../../host/services/registry.ts";
import { rejection } from "../../helpers/assert.ts";
import { fakePeer, recordingLogger, settle } from "../../helpers/event-peers.ts";

function setup() {
  const emitter = fakePeer("emitter", { events: { emits: ["notes.created"] }, extensionPoints: { "admin.menu": { timeoutMs: 300 } } });
  const sub = fakePeer("sub", { events: { subscribes: ["notes.*"] }, contributes: ["admin.menu"] }, async (method) => (method === "extensions.contribute" ? "menu" : null));
  const { log } = recordingLogger();
  const peers = () => [emitter, sub];
  const services = new ServiceRegistry();
  registerEventServices(services, new EventBus(peers, log), new ExtensionPoints(peers, log));
  const call = async (caller: typeof emitter, method: string, payload: unknown) =>
    JSON.parse(await services.dispatch(caller, method, JSON.stringify(payload)) || "null");
  return { emitter, sub, call };
}

test("events.emit queues a declared event and answers its id and subscriber count at once", async () => {
  const { emitter, sub, call } = setup();
  assert.equal(await call(emitter, "events.emit", { name: "notes.created", payload: { id: 1 } }), { id: 1, queued: 1 });
  await settle();
  assert.equal(sub.calls[0]!.payload, { id: 1, name: "notes.created", payload: { id: 1 }, from: "emitter", time: (sub.calls[0]!.payload as { time: string }).time });
});

test("events.emit refuses a name the manifest does not list, naming events.emits, and the host's corral.* names", async () => {
  const { emitter, sub, call } = setup();
  const undeclared = await rejection(call(emitter, "events.emit", { name: "notes.deleted", payload: 1 }));
  assert.is(undeclared.code, ErrorCode.CALL_DENIED);
  assert.match(undeclared.message, /plugin "emitter" may not emit "notes\.deleted": it is not listed in its manifest's events\.emits \(\["notes\.created"\]\)/);
  const reserved = await rejection(call(emitter, "events.emit", { name: "corral.plugin.loaded", payload: {} }));
  assert.is(reserved.code, ErrorCode.CALL_DENIED);
  assert.match(reserved.message, /reserved to the host/);
  const foreign = await rejection(call(sub, "events.emit", { name: "notes.created", payload: 1 }));
  assert.is(foreign.code, ErrorCode.CALL_DENIED, "a subscriber may not emit what it only receives");
  await settle();
  assert.is(sub.calls.length, 0);
});

test("events.emit refuses malformed requests and payloads over 64 KiB with clear messages", async () => {
  const { emitter, call } = setup();
  for (const [payload, message] of [
    [null, /expects \{"name": string, "payload": JSON\}, got null/],
    [{ name: 5 }, /expects \{"name": string/],
    [{ name: "Notes" }, /"Notes" is not an event name like "notes\.created"/],
    [{ name: "notes.created", payload: "x".repeat(70_000) }, /is 70002 bytes of JSON, over the limit of 65536/],
  ] as const) {
    const error = await rejection(call(emitter, "events.emit", payload));
    assert.is(error.code, ErrorCode.CALL_FAILED);
    assert.match(error.message, message);
  }
});

test("extensions.gather: the owner gets the contributions; any other plugin is CALL_DENIED, naming extensionPoints", async () => {
  const { emitter, sub, call } = setup();
  assert.equal(await call(emitter, "extensions.gather", { point: "admin.menu", args: 1 }), [{ plugin: "sub", value: "menu" }]);
  assert.is(sub.calls[0]!.timeoutMs, 300, "the point's timeoutMs bounds each contributor");
  const denied = await rejection(call(sub, "extensions.gather", { point: "admin.menu" }));
  assert.is(denied.code, ErrorCode.CALL_DENIED);
  assert.match(denied.message, /plugin "sub" may not gather "admin\.menu": only the plugin that declares an extension point may gather it/);
});

test.run();
