// End to end: a plugin process that writes fuzzed frames (seeded mutations of real frames, the
// unit fuzz's generator) to fd 3 is ended as a protocol violation with the reader's own reason and
// restarted, while another plugin on the same host answers throughout. The bytes are chosen and
// their verdict predicted here, with the host's reading steps; the stand-in runner
// (test/fixtures/runners/rob-fuzz-runner.ts) writes them as they are.
import { resolve } from "node:path";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FramingError } from "../../schemas/framing.ts";
import { fuzzCaseArbitrary, readLikeTheHost, seedFrames, streamOf } from "../../scripts/fuzz/frames.ts";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

const SEED = Number(process.env.CORRAL_FUZZ_SEED ?? Date.now() % 2 ** 31);
console.log(`protocol fuzz e2e: seed ${SEED} (replay with CORRAL_FUZZ_SEED=${SEED})`);

const fuzz = suite<{ t: TestHost }>("protocol fuzz, end to end");

fuzz.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["echo", "crasher"],
    restart: { baseDelayMs: 50, maxDelayMs: 200, maxCrashes: 20, windowMs: 60_000 },
    runnerPath: resolve(import.meta.dirname, "../fixtures/runners/rob-fuzz-runner.ts"),
  });
});
fuzz.after(async (ctx) => {
  await ctx.t.close();
});

interface PluginHealth { name: string; state: string; restarts: number; pid: number | null; lastExit: { kind: string; message: string } | null }

async function plugin(t: TestHost, name: string): Promise<PluginHealth> {
  const health = await (await fetch(`${t.url}/health`)).json() as { plugins: PluginHealth[] };
  return health.plugins.find((p) => p.name === name)!;
}

/** Seeded fuzz streams the host must refuse at their first frame: one cut by the caps, others by the decoder. */
function refusedStreams(): Array<{ bytes: Uint8Array; reason: string; framing: boolean }> {
  const seeds = seedFrames();
  const picked: Array<{ bytes: Uint8Array; reason: string; framing: boolean }> = [];
  // The host reads with its own caps (80 MiB, 64 segments): predict with those.
  const hostLimits = { maxFrameBytes: 80 * 1024 * 1024, maxSegments: 64 };
  for (const fuzzCase of fc.sample(fuzzCaseArbitrary(seeds.length), { seed: SEED, numRuns: 2000 })) {
    const bytes = streamOf(fuzzCase, seeds);
    if (bytes.byteLength === 0 || bytes.byteLength > 1500) continue;
    const outcome = readLikeTheHost(bytes, [], hostLimits);
    if (outcome.refusal === undefined || outcome.messages.length > 0) continue;
    const framing = outcome.refusal instanceof FramingError;
    if (picked.filter((p) => p.framing === framing).length < (framing ? 1 : 2)) {
      picked.push({ bytes, reason: outcome.refusal.message, framing });
    }
    if (picked.length === 3) break;
  }
  return picked;
}

fuzz("fuzzed frames end only the plugin that sent them, with the reader's reason; the other plugin answers throughout", async ({ t }) => {
  const cases = refusedStreams();
  assert.is(cases.length, 3, "the generator gives refused streams of both kinds");
  for (const { bytes, reason } of cases) {
    const before = await plugin(t, "echo");
    const path = `/plugins/echo/fuzz/${Buffer.from(bytes).toString("base64url")}`;
    const answer = await fetch(`${t.url}${path}`);
    assert.is(answer.status, 502, `${reason}: the request in flight gets a clear error`);
    assert.is((await answer.json() as { error: { code: string } }).error.code, "CORRAL_E_PLUGIN_CRASHED");
    // Meanwhile and after, the other plugin serves.
    assert.is(await (await fetch(`${t.url}/plugins/crasher/`)).text(), "alive");
    const after = await eventually(async () => {
      const echo = await plugin(t, "echo");
      return echo.restarts > before.restarts && echo.state === "ready" ? echo : undefined;
    }, 10_000, "echo to be ended and restarted");
    assert.is(after.lastExit!.kind, "protocol-violation");
    assert.ok(after.lastExit!.message.includes(reason), `${after.lastExit!.message} names ${reason}`);
    assert.is.not(after.pid, before.pid);
    assert.is(await (await fetch(`${t.url}/plugins/echo/`)).text(), "alive", "the offender itself is back");
  }
  const crasher = await plugin(t, "crasher");
  assert.is(crasher.restarts, 0, "the other plugin was never restarted");
  assert.is(crasher.state, "ready");
});

fuzz.run();
