/** Tests of gathering an extension point's contributions: order, concurrency, error entries, counters. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { ExtensionPoints } from "../../../host/events/extension-points.ts";
import { fakePeer, gate, recordingLogger } from "../../helpers/event-peers.ts";

test("gather calls every contributor concurrently and answers values and errors by plugin name; it never fails as a whole", async () => {
  const started = gate();
  let running = 0;
  const owner = fakePeer("owner", { extensionPoints: { "admin.menu": { timeoutMs: 250 } } });
  const zed = fakePeer("zed", { contributes: ["admin.menu"] }, async (_m, payload) => {
    if (++running === 2) started.open();
    await started.promise; // resolves only when both good contributors run at once
    return { label: "Zed", got: payload };
  });
  const alpha = fakePeer("alpha", { contributes: ["admin.menu"] }, async () => {
    if (++running === 2) started.open();
    await started.promise;
    return undefined;
  });
  const broken = fakePeer("broken", { contributes: ["admin.menu"] }, async () => {
    throw new CorralError(ErrorCode.CALL_FAILED, "its contribution threw: nope");
  });
  const slow = fakePeer("slow", { contributes: ["admin.menu"] }, async () => {
    throw new CorralError(ErrorCode.CALL_TIMEOUT, "did not answer within 250 ms");
  });
  const down = fakePeer("down", { contributes: ["admin.menu"] });
  down.state = "restarting";
  const bystander = fakePeer("bystander", { contributes: ["other.point"] });
  const { log, records } = recordingLogger();
  const points = new ExtensionPoints(() => [owner, zed, alpha, broken, slow, down, bystander], log);

  const results = await points.gather("owner", "admin.menu", 250, { user: "ada" });
  assert.equal(results, [
    { plugin: "alpha", value: null },
    { plugin: "broken", error: { code: "CORRAL_E_CALL_FAILED", message: "its contribution threw: nope" } },
    { plugin: "down", error: { code: "CORRAL_E_PLUGIN_UNAVAILABLE", message: 'plugin "down" is restarting, not ready' } },
    { plugin: "slow", error: { code: "CORRAL_E_CALL_TIMEOUT", message: "did not answer within 250 ms" } },
    { plugin: "zed", value: { label: "Zed", got: { point: "admin.menu", args: { user: "ada" } } } },
  ]);
  assert.equal(zed.calls.map((c) => [c.method, c.timeoutMs]), [["extensions.contribute", 250]]);
  assert.is(bystander.calls.length, 0);
  assert.equal(records.filter((r) => r.message === "contribution failed").map((r) => r.plugin).sort(), ["broken", "down", "slow"]);
  assert.equal(points.counters(), {
    "admin.menu": { owners: ["owner"], contributors: ["alpha", "broken", "down", "slow", "zed"], gathers: 1, values: 2, errors: 3 },
    "other.point": { owners: [], contributors: ["bystander"], gathers: 0, values: 0, errors: 0 },
  });
});

test("a point without contributors gathers nothing", async () => {
  const owner = fakePeer("owner", { extensionPoints: { "admin.menu": {} } });
  const points = new ExtensionPoints(() => [owner], recordingLogger().log);
  assert.equal(await points.gather("owner", "admin.menu", 1000, null), []);
});

test.run();
