// End to end through `host/main.ts` as `npm start` runs it: bad manifests are skipped at start-up,
// and no plugin process outlives the host, whether it is stopped with SIGTERM or killed with SIGKILL.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { sampleTree } from "../../host/process-tree.ts";
import { eventually, FIXTURES, isAlive } from "../helpers/host.ts";
import { spawnHost } from "../helpers/host-process.ts";

const lifecycle = suite<{ work: string; pluginsDir: string }>("startup and shutdown");

lifecycle.before.each(async (ctx) => {
  ctx.work = await mkdtemp(join(tmpdir(), "corral-lifecycle-"));
  ctx.pluginsDir = join(ctx.work, "plugins");
  for (const name of ["echo", "looper", "bad-manifest"]) {
    await cp(join(FIXTURES, name), join(ctx.pluginsDir, name), { recursive: true });
  }
});
lifecycle.after.each(async (ctx) => {
  await rm(ctx.work, { recursive: true, force: true });
});

interface Health {
  status: string;
  plugins: Array<{ name: string; state: string; pid: number | null }>;
  invalid: Array<{ dir: string; code: string; message: string }>;
}

async function readyHealth(url: string): Promise<Health> {
  return eventually(async () => {
    const health = await (await fetch(`${url}/health`)).json() as Health;
    return health.plugins.length === 2 && health.plugins.every((p) => p.state === "ready") ? health : undefined;
  }, 20_000, "plugins ready");
}

/** Every process under the plugins' top pids (prlimit/bwrap/deno). */
async function pluginPids(health: Health): Promise<number[]> {
  const pids: number[] = [];
  for (const plugin of health.plugins) {
    const tree = await sampleTree(plugin.pid!);
    assert.ok(tree, `plugin ${plugin.name} has a live process tree`);
    pids.push(...tree!.pids);
  }
  return pids;
}

lifecycle("a malformed manifest is reported with file, path and expectation, and the host starts anyway", async ({ work, pluginsDir }) => {
  const host = await spawnHost({ CORRAL_PLUGINS_DIR: pluginsDir, CORRAL_DATA_DIR: join(work, "data") });
  try {
    const health = await readyHealth(host.url);
    assert.is(health.status, "degraded");
    assert.is(health.invalid.length, 1);
    const bad = health.invalid[0]!;
    assert.is(bad.code, "CORRAL_E_MANIFEST_INVALID");
    assert.match(bad.message, /bad-manifest\/plugin\.json/);
    assert.match(bad.message, /\/version/);
    assert.match(bad.message, /"one"/);
    assert.match(bad.message, /colour/);
    assert.match(bad.message, /\/limits\/memoryMb/);
    assert.ok(host.lines.some((l) => l.includes("plugin skipped") && l.includes("bad-manifest")), "the skip is logged");
    assert.is((await fetch(`${host.url}/plugins/echo/whoami`)).status, 200);
  } finally {
    host.child.kill("SIGKILL");
  }
});

lifecycle("SIGTERM drains in-flight requests, then leaves no plugin process behind", async ({ work, pluginsDir }) => {
  const host = await spawnHost({ CORRAL_PLUGINS_DIR: pluginsDir, CORRAL_DATA_DIR: join(work, "data") });
  const pids = await pluginPids(await readyHealth(host.url));
  assert.ok(pids.length >= 2);
  const inFlight = fetch(`${host.url}/plugins/echo/slow/400`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 100));
  host.child.kill("SIGTERM");
  assert.is(await inFlight, "slow done", "the in-flight request completed");
  const exit = await host.exited();
  assert.is(exit.code, 0);
  for (const pid of pids) assert.is(isAlive(pid), false, `process ${pid} is gone`);
  assert.ok(host.lines.some((l) => l.includes("host stopped")));
});

lifecycle("Ctrl-C in a terminal (SIGINT to the whole process group) is one orderly shutdown: no plugin crashes or restarts", async ({ work, pluginsDir }) => {
  const host = await spawnHost({ CORRAL_PLUGINS_DIR: pluginsDir, CORRAL_DATA_DIR: join(work, "data") }, { ownGroup: true });
  const pids = await pluginPids(await readyHealth(host.url));
  // The terminal signals its foreground process group: the host and, unless they have a group
  // of their own, its plugin processes too.
  process.kill(-host.child.pid!, "SIGINT");
  const exit = await host.exited();
  assert.is(exit.code, 0, host.lines.join("\n"));
  for (const pid of pids) assert.is(isAlive(pid), false, `process ${pid} is gone`);
  const states = host.lines.filter((l) => l.includes('"plugin state"')).map((l) => JSON.parse(l) as { plugin: string; fields: { to: string; reason?: string } });
  const unexpected = states.filter((s) => !["stopping", "stopped", "starting", "ready"].includes(s.fields.to));
  assert.equal(unexpected, [], "every plugin went from ready to stopping to stopped");
  for (const name of ["echo", "looper"]) {
    const last = states.filter((s) => s.plugin === name).at(-1);
    assert.is(last?.fields.to, "stopped", `${name} ends stopped`);
    assert.match(last?.fields.reason ?? "", /host shutting down: SIGINT/);
  }
});

lifecycle("SIGKILL of the host takes every plugin process with it, even one stuck in a loop", async ({ work, pluginsDir }) => {
  const host = await spawnHost({ CORRAL_PLUGINS_DIR: pluginsDir, CORRAL_DATA_DIR: join(work, "data") });
  const pids = await pluginPids(await readyHealth(host.url));
  void fetch(`${host.url}/plugins/looper/spin`).catch(() => {});
  await new Promise((r) => setTimeout(r, 200));
  host.child.kill("SIGKILL");
  await host.exited();
  await eventually(() => (pids.every((pid) => !isAlive(pid)) ? true : undefined), 5000, "plugin processes to die with the host");
});

lifecycle.run();
