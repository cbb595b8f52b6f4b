// End to end: a hostile or broken plugin takes down only itself; the host says why and recovers it.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

interface PluginHealth {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  failure: string | null;
  lastExit: { kind: string; message: string; exitCode: number | null; signal: string | null } | null;
}

const resilience = suite<{ t: TestHost }>("resilience");

resilience.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["echo", "crasher", "broken-init"],
    restart: { baseDelayMs: 100, maxDelayMs: 400, maxCrashes: 3, windowMs: 60_000 },
  });
});
resilience.after(async (ctx) => {
  await ctx.t.close();
});

async function pluginHealth(t: TestHost, name: string): Promise<PluginHealth> {
  const res = await fetch(`${t.url}/health`);
  const health = await res.json() as { plugins: PluginHealth[] };
  return health.plugins.find((p) => p.name === name)!;
}

async function echoStillServes(t: TestHost): Promise<void> {
  const res = await fetch(`${t.url}/plugins/echo/whoami`);
  assert.is(res.status, 200, "the echo plugin keeps serving");
}

// Heap and ArrayBuffer bombs and endless loops live in the hostile corpus (test/e2e/hostile/).

resilience("a crashing plugin is restarted with its exit code reported, then marked failed with 503", async ({ t }) => {
  let lastExitAt: string | undefined;
  for (let crash = 1; crash <= 3; crash++) {
    await eventually(async () => ((await pluginHealth(t, "crasher")).state === "ready" ? true : undefined), 10_000, `crasher ready before crash ${crash}`);
    assert.is(await (await fetch(`${t.url}/plugins/crasher/exit`)).text(), "bye");
    // Wait for this crash to be recorded (a new exit, not the previous one).
    const exit = await eventually(async () => {
      const h = await pluginHealth(t, "crasher");
      const at = (h.lastExit as { at?: string } | null)?.at;
      return at !== undefined && at !== lastExitAt ? h.lastExit : undefined;
    }, 10_000, `crash ${crash} to be recorded`);
    lastExitAt = (exit as { at?: string }).at;
    assert.is(exit!.exitCode, 3, "the exit code is reported");
    await echoStillServes(t);
  }
  const failed = await eventually(async () => {
    const h = await pluginHealth(t, "crasher");
    return h.state === "failed" ? h : undefined;
  }, 10_000, "crasher to be failed");
  assert.is(failed.lastExit?.kind, "exited");
  assert.match(failed.failure!, /crashed 3 times/);
  const res = await fetch(`${t.url}/plugins/crasher/`);
  assert.is(res.status, 503);
  assert.is(res.headers.get("content-type"), "application/json; charset=utf-8");
  assert.is((await res.json() as { error: { code: string } }).error.code, "CORRAL_E_PLUGIN_FAILED");
  await echoStillServes(t);
});

resilience("a plugin whose init throws is retried, then failed with the reason in /health", async ({ t }) => {
  const failed = await eventually(async () => {
    const h = await pluginHealth(t, "broken-init");
    return h.state === "failed" ? h : undefined;
  }, 15_000, "broken-init to be failed");
  assert.match(failed.failure!, /cannot connect to the moon/);
  const res = await fetch(`${t.url}/plugins/broken-init/`);
  assert.is(res.status, 503);
  const health = await (await fetch(`${t.url}/health`)).json() as { status: string };
  assert.is(health.status, "degraded");
});

resilience.run();
