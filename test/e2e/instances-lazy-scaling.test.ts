/**
 * Lazy loading and dynamic scaling with real plugin processes: a lazy plugin has no process until
 * its first request and goes idle again; a plugin with instances {min 1, max 2} starts a second
 * process under load, refuses with 503 + Retry-After past maxConcurrent + maxQueue, and stops the
 * extra process when it is idle.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../schemas/errors.ts";
import type { PluginReport } from "../../host/health.ts";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { json, send } from "../helpers/http.ts";

let host: TestHost;

test.before(async () => {
  host = await startTestHost({
    plugins: ["pool-lazy", "pool-scale"],
    policy: { scaling: { scaleUpQueueDepth: 1, scaleDownIdleMs: 300 } },
  });
});

test.after(async () => {
  await host?.close();
});

function plugin(name: string): PluginReport {
  const found = host.host.health().plugins.find((p) => p.name === name);
  assert.ok(found, `${name} is in /health`);
  return found as PluginReport;
}

test("a lazy plugin is idle (and healthy) with no process until its first request", async () => {
  const before = plugin("pool-lazy");
  assert.is(before.state, "idle");
  assert.is(before.pid, null);
  assert.is(before.instanceCount, 0);
  const health = await send(`${host.url}/health`);
  assert.is(json<{ status: string }>(health).status, "ok", "idle counts as healthy");
  assert.is((await send(`${host.url}/health/plugins/pool-lazy`)).status, 200);

  const first = await send(`${host.url}/plugins/pool-lazy/`);
  assert.is(first.status, 200, first.text);
  assert.is(first.text, "ok");
  const after = plugin("pool-lazy");
  assert.is(after.state, "ready");
  assert.is(after.coldStarts, 1);
  assert.type(after.pid, "number");
});

test("a lazy plugin is stopped after idleTimeoutMs without requests, and the next request starts it again", async () => {
  const pid = plugin("pool-lazy").pid;
  await eventually(() => (plugin("pool-lazy").state === "idle" ? true : undefined), 5000, "pool-lazy to go idle");
  const idle = plugin("pool-lazy");
  assert.is(idle.idleUnloads, 1);
  assert.is(idle.pid, null);
  assert.ok(host.logs.some((r) => r.plugin === "pool-lazy" && r.message === "stopping the idle plugin"));
  const again = await send(`${host.url}/plugins/pool-lazy/id`);
  assert.is(again.status, 200);
  assert.is(plugin("pool-lazy").coldStarts, 2);
  assert.is.not(plugin("pool-lazy").pid, pid, "a new process");
});

test("load starts a second instance, and a request goes to the least busy (a different process)", async () => {
  const url = `${host.url}/plugins/pool-scale`;
  assert.is(plugin("pool-scale").instanceCount, 1);
  // Two in flight on one instance: 2 per instance > scaleUpQueueDepth 1, so a second one starts.
  // Long enough for the second instance to start on a loaded machine while both are in flight.
  const slow = [send(`${url}/slow/4000`), send(`${url}/slow/4000`)];
  await eventually(() => {
    const report = plugin("pool-scale");
    return report.instanceCount === 2 && report.instances!.every((i) => i.state === "ready") ? true : undefined;
  }, 10_000, "two ready instances").catch((error: Error) => {
    const logs = host.logs.filter((r) => r.plugin === "pool-scale").slice(-8).map((r) => `${r.message} ${JSON.stringify(r.fields ?? {})}`);
    throw new Error(`${error.message}\n${JSON.stringify(plugin("pool-scale").instances)}\n${logs.join("\n")}`);
  });
  const scaled = plugin("pool-scale");
  assert.is(scaled.scaleUps, 1);
  const pids = scaled.instances!.map((i) => i.pid);
  assert.ok(pids.every((pid) => typeof pid === "number"), `pids ${pids}`);
  assert.is(new Set(pids).size, 2, "two processes");
  const quick = await send(`${url}/id`);
  const answers = await Promise.all(slow);
  assert.equal(answers.map((a) => a.status), [200, 200]);
  assert.is(answers[0]!.text, answers[1]!.text, "both slow requests ran on the first instance");
  assert.is.not(quick.text, answers[0]!.text, "the quick request went to the idle second instance");
});

test("past maxConcurrent + maxQueue the answer is 503 PLUGIN_BUSY with Retry-After; the queued request gets its turn", async () => {
  const url = `${host.url}/plugins/pool-scale`;
  const before = plugin("pool-scale").busyRejections!;
  // maxConcurrent 3: three in flight...
  const slow = [send(`${url}/slow/1500`), send(`${url}/slow/1500`), send(`${url}/slow/1500`)];
  await eventually(() => (plugin("pool-scale").inFlight >= 3 ? true : undefined), 5000, "three requests in flight");
  // ...maxQueue 1: one waits...
  const queued = send(`${url}/slow/10`);
  await eventually(() => (plugin("pool-scale").queueDepth === 1 ? true : undefined), 5000, "one request queued");
  // ...and the next is refused.
  const refused = await send(`${url}/id`);
  assert.is(refused.status, 503, refused.text);
  assert.is(json<{ error: { code: string } }>(refused).error.code, ErrorCode.PLUGIN_BUSY);
  assert.ok(Number(refused.headers["retry-after"]) >= 1, `Retry-After: ${refused.headers["retry-after"]}`);
  assert.is(plugin("pool-scale").busyRejections, before + 1);
  const answers = await Promise.all([...slow, queued]);
  assert.equal(answers.map((a) => a.status), [200, 200, 200, 200], "the queued request got its turn");
});

test("the extra instance stops once idle; the minimum keeps serving", async () => {
  await eventually(() => (plugin("pool-scale").instanceCount === 1 ? true : undefined), 5000, "back to one instance");
  const after = plugin("pool-scale");
  assert.ok(after.scaleDowns! >= 1);
  assert.is(after.state, "ready");
  assert.is((await send(`${host.url}/plugins/pool-scale/`)).status, 200);
  assert.ok(host.logs.some((r) => r.plugin === "pool-scale" && r.message === "stopping an idle extra instance"));
});

test.run();
