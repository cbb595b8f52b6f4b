/** Tests of the host's corral.plugin.* events and of the load-time warnings about event and extension point declarations. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkDeclarations } from "../../../host/events/declarations.ts";
import { EventBus } from "../../../host/events/event-bus.ts";
import { emitLifecycle, lifecycleOfState } from "../../../host/events/lifecycle.ts";
import { fakePeer, recordingLogger, settle } from "../../helpers/event-peers.ts";

const fresh = { name: "notes", version: "1.2.0", health: () => ({ restarts: 0, failure: null, lastExit: null }) };

test("ready means loaded (with the crash as reason after a restart), failed means failed with the diagnosis; nothing else is an event", () => {
  assert.equal(lifecycleOfState(fresh, "ready"), { kind: "loaded" });
  const restarted = { ...fresh, health: () => ({ restarts: 2, failure: null, lastExit: { kind: "exited", message: "exited with code 3", exitCode: 3, signal: null, restartInMs: 200 } as never }) };
  assert.equal(lifecycleOfState(restarted, "ready"), { kind: "loaded", reason: "restarted after: exited with code 3" });
  const failed = { ...fresh, health: () => ({ restarts: 4, failure: "crashed 5 times within 60 s", lastExit: null }) };
  assert.equal(lifecycleOfState(failed, "failed"), { kind: "failed", reason: "crashed 5 times within 60 s" });
  for (const state of ["starting", "restarting", "stopping", "stopped"] as const) assert.is(lifecycleOfState(fresh, state), undefined);
});

test("lifecycle events come from \"corral\" with {plugin, version, state, reason?} and reach corral.plugin.* subscribers", async () => {
  const watcher = fakePeer("watcher", { events: { subscribes: ["corral.plugin.*"] } });
  const bus = new EventBus(() => [watcher], recordingLogger().log);
  emitLifecycle(bus, "loaded", fresh, "ready");
  emitLifecycle(bus, "disabled", fresh, "stopped", "by the operator");
  await settle();
  assert.equal(watcher.calls.map((c) => {
    const { name, from, payload } = c.payload as { name: string; from: string; payload: unknown };
    return { name, from, payload };
  }), [
    { name: "corral.plugin.loaded", from: "corral", payload: { plugin: "notes", version: "1.2.0", state: "ready" } },
    { name: "corral.plugin.disabled", from: "corral", payload: { plugin: "notes", version: "1.2.0", state: "stopped", reason: "by the operator" } },
  ]);
  assert.equal(bus.counters().emitted, { corral: 2 });
});

test("declarations: contributing to an undeclared point, emitting a corral.* name and a point with two owners are warned about", () => {
  const warnings = checkDeclarations([
    fakePeer("b-owner", { extensionPoints: { "admin.menu": {} } }),
    fakePeer("a-owner", { extensionPoints: { "admin.menu": {} } }),
    fakePeer("contrib", { contributes: ["admin.menu", "nowhere.point"], events: { emits: ["corral.plugin.loaded", "contrib.done"] } }),
  ]);
  assert.equal(warnings.map((w) => w.plugin), ["a-owner", "contrib", "contrib"]);
  assert.match(warnings[0]!.message, /"admin\.menu" is declared by several plugins \(a-owner, b-owner\)/);
  assert.match(warnings[1]!.message, /events\.emits lists "corral\.plugin\.loaded".*reserved to the host/);
  assert.match(warnings[2]!.message, /contributes to extension point "nowhere\.point", which no loaded plugin declares/);
  assert.equal(checkDeclarations([fakePeer("ok", { contributes: ["x.y"], extensionPoints: { "x.y": {} } })]), []);
});

test.run();
