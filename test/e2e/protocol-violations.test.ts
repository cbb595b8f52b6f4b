// End to end: a plugin process that writes forged frames to fd 3 is ended with the reason,
// restarted, and nothing else is disturbed: the host never throws because of what a plugin sends.
// The forger is a stand-in runner (test/fixtures/runners/forging-runner.ts) under the "echo"
// fixture's manifest; a second host serves the real echo plugin alongside.
import { resolve } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

const violations = suite<{ t: TestHost }>("protocol violations");

violations.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["echo", "crasher"],
    restart: { baseDelayMs: 50, maxDelayMs: 200, maxCrashes: 10, windowMs: 60_000 },
    runnerPath: resolve(import.meta.dirname, "../fixtures/runners/forging-runner.ts"),
  });
});
violations.after(async (ctx) => {
  await ctx.t.close();
});

interface Exit { kind: string; message: string }

async function forgerExitAfter(t: TestHost, path: string, previousRestarts: number): Promise<{ exit: Exit; restarts: number }> {
  await fetch(`${t.url}/plugins/echo${path}`).then((r) => r.text()).catch(() => "");
  return eventually(async () => {
    const health = await (await fetch(`${t.url}/health`)).json() as { plugins: Array<{ name: string; state: string; restarts: number; lastExit: Exit | null }> };
    const forger = health.plugins.find((p) => p.name === "echo")!;
    return forger.restarts > previousRestarts && forger.state === "ready" && forger.lastExit !== null
      ? { exit: forger.lastExit, restarts: forger.restarts }
      : undefined;
  }, 10_000, `forger to be ended and restarted after ${path}`);
}

violations("an oversized frame, an undecodable frame, a forged reply and a host-only message each end only that plugin", async ({ t }) => {
  let restarts = 0;
  for (const [path, pattern] of [
    ["/oversize", /over the cap/],
    ["/garbage", /undecodable/],
    ["/forged-reply", /id 99999, which the host never sent/],
    ["/wrong-direction", /may not send a frame of kind PING/],
  ] as const) {
    const result = await forgerExitAfter(t, path, restarts);
    restarts = result.restarts;
    assert.is(result.exit.kind, "protocol-violation", `${path}: ${JSON.stringify(result.exit)}`);
    assert.match(result.exit.message, pattern);
    assert.is(await (await fetch(`${t.url}/plugins/echo/`)).text(), "alive", "the forger itself is back");
    assert.is((await fetch(`${t.url}/health`)).status, 200, "the host keeps serving");
  }
});

violations.run();

const handshake = suite<{ t: TestHost }>("handshake");

handshake.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["echo"],
    runnerPath: resolve(import.meta.dirname, "../fixtures/runners/future-runner.ts"),
  });
});
handshake.after(async (ctx) => {
  await ctx.t.close();
});

handshake("a runner speaking another protocol major is refused at once, with both versions named", async ({ t }) => {
  const echo = await eventually(async () => {
    const health = await (await fetch(`${t.url}/health`)).json() as { plugins: Array<{ name: string; state: string; failure: string | null; restarts: number }> };
    const plugin = health.plugins.find((p) => p.name === "echo")!;
    return plugin.state === "failed" ? plugin : undefined;
  }, 10_000, "echo to be failed");
  assert.match(echo.failure!, /speaks protocol 99\.0, this host speaks 1\.1/);
  assert.is(echo.restarts, 0, "a version mismatch is not retried");
  const res = await fetch(`${t.url}/plugins/echo/`);
  assert.is(res.status, 503);
  assert.is((await res.json() as { error: { code: string } }).error.code, "CORRAL_E_PLUGIN_FAILED");
});

handshake.run();
