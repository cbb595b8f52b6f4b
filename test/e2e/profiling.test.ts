// End to end: a plugin's V8 inspector on a loopback port, and CPU profiles of a plugin busy in a
// handler, from the admin API and the CLI, that name the handler's function.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { corral } from "../helpers/corral-cli.ts";
import { startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

interface Profile { nodes: { callFrame: { functionName: string } }[]; samples: number[] }
interface Change { from: string; to: string; reason: string }

const profiling = suite<{ t: TestHost; auth: Record<string, string> }>("profiling");

profiling.before(async (ctx) => {
  ctx.t = await startTestHost({ plugins: ["mon-busy"] });
  ctx.auth = { authorization: `Bearer ${ctx.t.host.adminToken}` };
});
profiling.after(async (ctx) => {
  await ctx.t?.close();
});

/** Keeps the plugin busy in monBusyHandler until stopped (failures during restarts are expected). */
function keepBusy(t: TestHost): () => Promise<number> {
  let running = true;
  let answered = 0;
  const loop = (async () => {
    while (running) {
      const res = await fetch(`${t.url}/plugins/mon-busy/work?ms=40`).catch(() => undefined);
      if (res?.status === 200) answered++;
      await res?.arrayBuffer();
    }
  })();
  return async () => {
    running = false;
    await loop;
    return answered;
  };
}

const names = (profile: Profile) => profile.nodes.map((node) => node.callFrame.functionName);

profiling("debug starts the inspector on a loopback port, shown in health; profile names the busy handler", async ({ t, auth }) => {
  const res = await fetch(`${t.url}/admin/plugins/mon-busy/debug`, { method: "POST", headers: auth });
  assert.is(res.status, 200);
  const info = await res.json() as { url: string; devtoolsUrl: string };
  assert.match(info.url, /^ws:\/\/127\.0\.0\.1:\d+\/\S+$/);
  assert.ok(info.devtoolsUrl.endsWith(info.url.slice("ws://".length)));
  // The CDP endpoint answers on the host's loopback (the namespace's network is shared for it).
  const port = new URL(info.url.replace(/^ws/, "http")).port;
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as { webSocketDebuggerUrl: string }[];
  assert.ok(targets.some((target) => target.webSocketDebuggerUrl === info.url), JSON.stringify(targets));

  const health = await (await fetch(`${t.url}/health/plugins/mon-busy`)).json() as { inspector: { url: string } | null; history: Change[] };
  assert.equal(health.inspector, { url: info.url });
  // A new process with the inspector took over by swap; the history says why.
  assert.ok(health.history.some((c) => c.to === "ready" && c.reason.startsWith("operator: inspector turned on:")), JSON.stringify(health.history));

  const stop = keepBusy(t);
  const profileRes = await fetch(`${t.url}/admin/plugins/mon-busy/profile?seconds=1`, { method: "POST", headers: auth });
  const answered = await stop();
  assert.is(profileRes.status, 200);
  assert.is(profileRes.headers.get("x-corral-inspector-restarted"), "false", "the running inspector was used");
  const profile = await profileRes.json() as Profile;
  assert.ok(answered > 0, "the plugin served while profiled");
  assert.ok(names(profile).includes("monBusyHandler"), `the handler is in the profile: ${names(profile).join(", ")}`);
  assert.ok(profile.samples.length > 0);
  const saved = profileRes.headers.get("x-corral-profile-file")!;
  assert.ok(saved.startsWith(join(dirname(t.pluginsDir), "data", "profiles")), saved);
  assert.equal(JSON.parse(readFileSync(saved, "utf8")), profile);

  const off = await fetch(`${t.url}/admin/plugins/mon-busy/debug`, { method: "DELETE", headers: auth });
  assert.is(off.status, 200);
  const after = await (await fetch(`${t.url}/health/plugins/mon-busy`)).json() as { state: string; inspector: unknown };
  assert.is(after.state, "ready");
  assert.is(after.inspector, null);
});

profiling("the CLI profiles a plugin without the inspector: on for the profile, off after", async ({ t }) => {
  const out = await mkdtemp(join(tmpdir(), "corral-profile-"));
  try {
    const file = join(out, "busy.cpuprofile");
    const stop = keepBusy(t);
    // The token comes from the data folder's admin-token file, the URL from CORRAL_URL.
    const result = await corral(["profile", "mon-busy", "--seconds", "1", "--out", file], {
      pluginsDir: t.pluginsDir, dataDir: join(dirname(t.pluginsDir), "data"), env: { CORRAL_URL: t.url },
    });
    await stop();
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stdout.trim(), file);
    assert.ok(existsSync(file));
    const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
    assert.ok(names(profile).includes("monBusyHandler"), names(profile).join(", "));
    const health = await (await fetch(`${t.url}/health/plugins/mon-busy`)).json() as { state: string; inspector: unknown; history: Change[] };
    assert.is(health.inspector, null, "the inspector is off again");
    assert.is(health.state, "ready");
    const reasons = health.history.map((c) => c.reason);
    assert.ok(reasons.some((r) => r.startsWith("operator: inspector turned on for a 1 s CPU profile:")), reasons.join(" | "));
    assert.ok(reasons.some((r) => r.startsWith("operator: CPU profile done; inspector turned off:")), reasons.join(" | "));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

profiling("bad requests: seconds out of range, unknown plugin, no token; CLI usage errors", async ({ t, auth }) => {
  const bad = await fetch(`${t.url}/admin/plugins/mon-busy/profile?seconds=9999`, { method: "POST", headers: auth });
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /CORRAL_E_PROFILE_INVALID.*from 0\.1 to 300, got \\"9999\\"/);
  assert.is((await fetch(`${t.url}/admin/plugins/nope/debug`, { method: "POST", headers: auth })).status, 404);
  assert.is((await fetch(`${t.url}/admin/plugins/mon-busy/profile`, { method: "POST" })).status, 401);

  const options = { pluginsDir: t.pluginsDir, dataDir: join(dirname(t.pluginsDir), "data"), env: { CORRAL_URL: t.url } };
  const help = await corral(["debug", "--help"], options);
  assert.is(help.code, 0);
  assert.match(help.stdout, /Usage: npx corral debug <plugin>/);
  const usage = await corral(["profile"], options);
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /missing <plugin>/);
  const unknown = await corral(["debug", "nope"], options);
  assert.is(unknown.code, 3);
  assert.match(unknown.stderr, /CORRAL_E_PLUGIN_NOT_FOUND/);
});

profiling.run();
