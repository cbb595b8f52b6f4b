// End to end: plugins start in dependency order; a missing dependency, a version out of range, a
// cycle, an incompatible host, a name conflict and a dependency that fails at init keep out only
// the plugins concerned, each explained (with the whole chain) in /health and in the log.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

interface PluginEntry {
  name: string;
  version: string;
  state: string;
  blockedBy?: string;
  chain?: string[];
  code?: string;
  failure: string | null;
}
interface Health {
  status: string;
  plugins: PluginEntry[];
  invalid: Array<{ dir: string; code: string; message: string }>;
}

const deps = suite<{ t: TestHost; health: Health }>("dependencies");

deps.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: [
      "echo", "dep-a", "dep-a-twin", "dep-b", "dep-c", "dep-needs-missing", "dep-wants-a2", "dep-behind-a2",
      "dep-broken", "dep-on-broken", "dep-cycle-x", "dep-cycle-y", "dep-future-host",
    ],
    // dep-broken fails for good after 3 attempts; `started` waits for that, since dep-on-broken needs it.
    restart: { baseDelayMs: 50, maxDelayMs: 200, maxCrashes: 3, windowMs: 60_000 },
  });
  ctx.health = await (await fetch(`${ctx.t.url}/health`)).json() as Health;
});
deps.after(async (ctx) => {
  await ctx.t.close();
});

function plugin(health: Health, name: string): PluginEntry {
  const entry = health.plugins.find((p) => p.name === name);
  assert.ok(entry, `${name} is listed under plugins: ${JSON.stringify(health.plugins.map((p) => p.name))}`);
  return entry!;
}

function refusal(health: Health, folder: string): { code: string; message: string } {
  const entry = health.invalid.find((i) => i.dir.endsWith(`/${folder}`));
  assert.ok(entry, `${folder} is listed under invalid: ${JSON.stringify(health.invalid.map((i) => i.dir))}`);
  return entry!;
}

/** The position of the first log record that matches, or -1. */
function logIndex(t: TestHost, plugin: string, message: string): number {
  return t.logs.findIndex((r) => r.plugin === plugin && r.message === message);
}

async function text(t: TestHost, path: string): Promise<[number, string]> {
  const res = await fetch(`${t.url}${path}`);
  return [res.status, await res.text()];
}

deps("a dependent starts only after its dependency is ready, and all of the chain serves", async ({ t, health }) => {
  for (const name of ["dep-a", "dep-b", "dep-c", "echo"]) assert.is(plugin(health, name).state, "ready", name);
  const aReady = logIndex(t, "dep-a", "plugin ready");
  const bInit = logIndex(t, "dep-b", "dep-b init");
  const bReady = logIndex(t, "dep-b", "plugin ready");
  const cInit = logIndex(t, "dep-c", "dep-c init");
  assert.ok(aReady >= 0 && bInit >= 0 && bReady >= 0 && cInit >= 0, "every step is logged");
  // dep-a's init takes 300 ms: started side by side, dep-b's init would have come first.
  assert.ok(aReady < bInit, `dep-a was ready (record ${aReady}) before dep-b's init ran (record ${bInit})`);
  assert.ok(bReady < cInit, `dep-b was ready (record ${bReady}) before dep-c's init ran (record ${cInit})`);
  assert.equal(await text(t, "/plugins/dep-c/"), [200, "dep-c 1.0.0"]);
  assert.equal(await text(t, "/plugins/dep-a/"), [200, "dep-a 1.4.0"], "the first folder named dep-a is the one loaded");
});

deps("a missing dependency leaves its dependent out, with the chain in /health and the log", async ({ t, health }) => {
  const bad = refusal(health, "dep-needs-missing");
  assert.is(bad.code, "CORRAL_E_DEPENDENCY_MISSING");
  assert.match(bad.message, /dep-needs-missing\/plugin\.json: \/dependencies\/dep-nowhere: plugin "dep-needs-missing" needs "dep-nowhere" \^1\.0\.0, but no plugin named "dep-nowhere" is installed/);
  assert.ok(t.logs.some((r) => r.plugin === "dep-needs-missing" && r.message === "plugin refused" &&
    String(r.fields?.error).includes('needs "dep-nowhere"')), "the refusal is logged");
  assert.is((await fetch(`${t.url}/plugins/dep-needs-missing/`)).status, 404);
  assert.equal(await text(t, "/plugins/echo/status/200"), [200, "status 200"], "an unrelated plugin serves");
});

deps("a version out of range refuses the plugin and blocks the ones behind it, naming the chain", async ({ t, health }) => {
  const bad = refusal(health, "dep-wants-a2");
  assert.is(bad.code, "CORRAL_E_DEPENDENCY_VERSION");
  assert.match(bad.message, /plugin "dep-wants-a2" needs "dep-a" \^2\.0\.0, but "dep-a" is 1\.4\.0, which is outside \^2\.0\.0/);
  const behind = plugin(health, "dep-behind-a2");
  assert.is(behind.state, "blocked");
  assert.is(behind.blockedBy, "dep-wants-a2");
  assert.equal(behind.chain, ["dep-behind-a2", "dep-wants-a2", "dep-a"]);
  assert.is(behind.failure, 'plugin "dep-behind-a2" is blocked by "dep-wants-a2" (dep-behind-a2 -> dep-wants-a2 -> dep-a): ' +
    'plugin "dep-wants-a2" needs "dep-a" ^2.0.0, but "dep-a" is 1.4.0, which is outside ^2.0.0; fix "dep-wants-a2", then restart the host');
  assert.ok(logIndex(t, "dep-behind-a2", "plugin blocked") >= 0, "the block is logged");
});

deps("a dependency that fails at init blocks its dependent, which is never started, while the others serve", async ({ t, health }) => {
  assert.is(plugin(health, "dep-broken").state, "failed");
  const blocked = plugin(health, "dep-on-broken");
  assert.is(blocked.state, "blocked");
  assert.is(blocked.blockedBy, "dep-broken");
  assert.is(blocked.code, "CORRAL_E_DEPENDENCY_BLOCKED");
  assert.match(blocked.failure!, /^plugin "dep-on-broken" is blocked by "dep-broken" \(dep-on-broken -> dep-broken\): "dep-broken" failed to start: .*dep-broken cannot start/);
  assert.is(logIndex(t, "dep-on-broken", "dep-on-broken init"), -1, "its init never ran");
  const logged = t.logs.find((r) => r.plugin === "dep-on-broken" && r.message === "plugin blocked");
  assert.is(logged?.fields?.blockedBy, "dep-broken");
  assert.ok(logIndex(t, "dep-broken", "plugin failed; not restarting it") < t.logs.indexOf(logged!), "blocked once its dependency failed for good");
  const res = await fetch(`${t.url}/health/plugins/dep-on-broken`);
  assert.is(res.status, 503, "a load balancer sees it cannot take traffic");
  assert.is((await res.json() as PluginEntry).state, "blocked");
  assert.is((await fetch(`${t.url}/plugins/dep-on-broken/`)).status, 404, "a blocked plugin is not mounted");
  assert.equal(await text(t, "/plugins/dep-b/"), [200, "dep-b 1.0.0"]);
});

deps("a cycle is refused, naming it, while the others serve", async ({ t, health }) => {
  const x = refusal(health, "dep-cycle-x");
  const y = refusal(health, "dep-cycle-y");
  assert.is(x.code, "CORRAL_E_DEPENDENCY_CYCLE");
  assert.is(y.code, "CORRAL_E_DEPENDENCY_CYCLE");
  assert.match(x.message, /plugin "dep-cycle-x" is in a dependency cycle: dep-cycle-x -> dep-cycle-y -> dep-cycle-x/);
  assert.match(y.message, /plugin "dep-cycle-y" is in a dependency cycle: dep-cycle-y -> dep-cycle-x -> dep-cycle-y/);
  assert.is((await fetch(`${t.url}/plugins/dep-cycle-x/`)).status, 404);
  assert.equal(await text(t, "/plugins/echo/status/201"), [201, "status 201"]);
});

deps("an incompatible host version and a second folder of one name are refused with their own codes", async ({ health }) => {
  const future = refusal(health, "dep-future-host");
  assert.is(future.code, "CORRAL_E_HOST_API");
  assert.match(future.message, /\/hostApi: plugin "dep-future-host" needs a host matching ">=9\.0\.0", but this host is 0\.1\.0/);
  const twin = refusal(health, "dep-a-twin");
  assert.is(twin.code, "CORRAL_E_PLUGIN_CONFLICT");
  assert.match(twin.message, /plugin name "dep-a" is declared by two folders, \S+\/dep-a and \S+\/dep-a-twin/);
  assert.is(health.status, "degraded");
  assert.is(plugin(health, "dep-a").version, "1.4.0");
});

deps.run();
