/**
 * The cap on what the host holds unsent for a plugin (issue 7 part 1, "slow reads"). Past one
 * largest frame plus the slack, new requests to it are refused (503 CORRAL_E_PLUGIN_BUSY), so the
 * buffer stays bounded; a plugin that does not read a byte of it for the grace period is ended as
 * `slow-reader`, long before its request timeout: its requests are answered, the memory is freed,
 * it is restarted, and the other plugins serve throughout. A plugin that reads is never ended,
 * however much it is sent at once.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { dirname, join } from "node:path";
import { rm } from "node:fs/promises";
import { eventually, FIXTURES, isAlive, startTestHost, type TestHost } from "../helpers/host.ts";
import { copyPluginWith } from "../helpers/plugin-copy.ts";

const MiB = 1024 * 1024;
/** Small frames, so the cap (one frame + 16 MiB of slack) is reached with a few dozen uploads. */
const MAX_FRAME = 4 * MiB;
const UPLOADS = 48; // 48 MiB in flight: well over the 20 MiB cap
setFlagsFromString("--expose-gc");
const runGc = runInNewContext("gc") as () => void;
/** Full collections, with turns between them for the HTTP client's finalizers. */
async function gc(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    runGc();
  }
}

interface PluginHealth {
  state: string;
  pid: number | null;
  lastExit: { kind: string; message: string; at: string } | null;
}

const PLUGIN = "hos-slow-read";
const slow = suite<{ t: TestHost; copy: string }>("slow reader");
slow.before(async (ctx) => {
  // The hostile corpus's non-reader with a long request timeout: only the host's write-buffer cap
  // can end it quickly.
  ctx.copy = await copyPluginWith(join(FIXTURES, PLUGIN), (manifest) => {
    manifest.limits = { timeoutMs: 30_000, maxBodyBytes: 2 * MiB };
  });
  ctx.t = await startTestHost({
    plugins: [ctx.copy, "hos-bystander"],
    maxFrameBytes: MAX_FRAME,
    policy: { limits: { maxTimeoutMs: 60_000 } },
    restart: { baseDelayMs: 50, maxDelayMs: 200, maxCrashes: 5, windowMs: 60_000 },
  });
});
slow.after(async (ctx) => {
  await ctx.t?.close();
  await rm(dirname(ctx.copy), { recursive: true, force: true });
});

async function health(t: TestHost, name: string): Promise<PluginHealth> {
  const body = await (await fetch(`${t.url}/health`)).json() as { plugins: (PluginHealth & { name: string })[] };
  return body.plugins.find((p) => p.name === name)!;
}

function uploads(t: TestHost): Promise<string[]> {
  const body = new Uint8Array(MiB);
  return Promise.all(Array.from({ length: UPLOADS }, () =>
    fetch(`${t.url}/plugins/${PLUGIN}/upload`, { method: "POST", body }).then(async (r) =>
      r.ok ? `${r.status} ${await r.text()}` : `${r.status} ${(await r.json() as { error: { code: string } }).error.code}`)));
}

slow("a plugin that reads is not taken for a slow reader, even when a burst passes the cap", async ({ t }) => {
  const before = await health(t, PLUGIN);
  assert.is(before.state, "ready");
  const statuses = await uploads(t);
  // The burst may pass the cap before the plugin has read it: those requests are refused, not lost.
  for (const status of statuses) assert.match(status, /^(200 got 1048576 bytes|503 CORRAL_E_PLUGIN_BUSY)$/);
  assert.ok(statuses.filter((s) => s.startsWith("200")).length >= 16, `most uploads reach it: ${statuses.join(", ")}`);
  const after = await health(t, PLUGIN);
  assert.is(after.pid, before.pid, "the same process");
  assert.is(after.lastExit, null);
});

slow("a plugin that stops reading is ended as slow-reader at the cap; its memory is freed and the others serve", async ({ t }) => {
  const before = await health(t, PLUGIN);
  await gc();
  const baseline = process.memoryUsage().arrayBuffers;
  assert.is(await (await fetch(`${t.url}/plugins/${PLUGIN}/stop-reading`)).text(), "no longer reading");
  const started = Date.now();
  const statuses = await uploads(t);
  const answeredMs = Date.now() - started;
  // The plugin's timeout is 30 s: only the cap can have answered them all before it.
  assert.ok(answeredMs < 20_000, `every upload answered in ${answeredMs} ms, before the 30 s request timeout`);
  // Deno may still hand over a read that was under way when the socket paused: one upload at most.
  // An upload that arrives after the plugin was ended, while it restarts, is 503 PLUGIN_UNAVAILABLE
  // (seen on a loaded machine, where the restart is slower than the burst).
  for (const status of statuses) {
    assert.match(status, /^(502 CORRAL_E_PLUGIN_CRASHED|503 CORRAL_E_PLUGIN_BUSY|503 CORRAL_E_PLUGIN_UNAVAILABLE|200 got 1048576 bytes)$/, status);
  }
  assert.ok(statuses.filter((s) => s.startsWith("200")).length <= 1, "a paused plugin reads nothing more");
  assert.ok(statuses.some((s) => s.startsWith("502")), "the requests it held were answered 502 when it was ended");
  assert.ok(statuses.some((s) => s.startsWith("503")), "the requests over the cap were refused at once");

  const after = await eventually(async () => {
    const h = await health(t, PLUGIN);
    return h.lastExit !== null && h.state === "ready" ? h : undefined;
  }, 20_000, `${PLUGIN} to be ended and restarted`);
  assert.is(after.lastExit!.kind, "slow-reader");
  const unsent = Number(/^slow reader: (\d+) bytes waiting/.exec(after.lastExit!.message)?.[1]);
  const cap = MAX_FRAME + 16 * MiB;
  // Requests are refused once the cap is passed: it is overshot by one frame at most.
  assert.ok(unsent > cap && unsent <= cap + MiB + 64 * 1024, `held at the cap: ${unsent} unsent bytes, cap ${cap}`);
  assert.is(isAlive(before.pid!), false, "the process that stopped reading is gone");

  await gc();
  const retained = process.memoryUsage().arrayBuffers - baseline;
  assert.ok(retained < 8 * MiB, `the unsent frames are freed: ${Math.round(retained / MiB)} MiB more than before the attack`);

  const bystander = await fetch(`${t.url}/plugins/hos-bystander/`);
  assert.is(await bystander.text(), "still here");
  const restarted = await fetch(`${t.url}/plugins/${PLUGIN}/`);
  assert.is(await restarted.text(), "alive", "the restarted process serves");
});

slow.run();
