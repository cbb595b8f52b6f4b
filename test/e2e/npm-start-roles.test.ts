// End to end through `host/main.ts` as `npm start` runs it, from the repository's root with the
// shipped ./plugins and no CORRAL_POLICY: the shipped corral.policy.json grants auth the identity
// role, so route roles work out of the box: the admin area sends a signed-out browser to the
// login page, the first user (admin) reaches monitoring, the next one (user) is refused.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually } from "../helpers/host.ts";
import { type HostProcess, spawnHost } from "../helpers/host-process.ts";
import { openAdmin, resetPluginDatabases } from "../helpers/plugin-database.ts";

const start = suite<{ work: string; host: HostProcess }>("npm start: route roles out of the box");
const admin = openAdmin("npm start roles");
const PASSWORD = "correct horse battery";

start.before(async (ctx) => {
  await resetPluginDatabases(admin, ["auth"]);
  ctx.work = await mkdtemp(join(tmpdir(), "corral-npm-start-"));
  // Only the data folder moves out of the repository; plugins and policy are the shipped ones.
  ctx.host = await spawnHost({ CORRAL_DATA_DIR: join(ctx.work, "data") });
  await eventually(async () => {
    const health = await (await fetch(`${ctx.host.url}/health`)).json() as { plugins: { name: string; state: string }[] };
    return ["auth", "admin", "monitoring"].every((name) => health.plugins.find((p) => p.name === name)?.state === "ready") ? true : undefined;
  }, 30_000, "auth, admin and monitoring ready");
});
start.after(async (ctx) => {
  ctx.host.child.kill("SIGTERM");
  await ctx.host.exited();
  await rm(ctx.work, { recursive: true, force: true });
  await admin.end();
});

async function signUp(url: string, name: string): Promise<string> {
  const res = await fetch(`${url}/plugins/auth/signup`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, password: PASSWORD }),
  });
  assert.is(res.status, 201, await res.clone().text());
  return /corral_session=[^;]+/.exec(res.headers.get("set-cookie") ?? "")?.[0] ?? "";
}

start("the shipped policy grants auth; /health shows it and nothing asked in vain", async ({ host }) => {
  const health = await (await fetch(`${host.url}/health`)).json() as { access: { providers: string[]; notGranted: string[] } };
  assert.equal(health.access.providers, ["auth"]);
  assert.equal(health.access.notGranted, []);
});

start("signed out, the admin area sends a browser to the login page", async ({ host }) => {
  const res = await fetch(`${host.url}/plugins/admin/`, { headers: { accept: "text/html" }, redirect: "manual" });
  assert.is(res.status, 303);
  assert.is(res.headers.get("location"), "/plugins/auth/login?next=%2Fplugins%2Fadmin%2F");
});

start("the first user (admin) reaches monitoring; the next (user) is refused by the host", async ({ host }) => {
  const first = await signUp(host.url, "sd-first");
  const second = await signUp(host.url, "sd-second");
  const allowed = await fetch(`${host.url}/plugins/monitoring/api/summary`, { headers: { cookie: first } });
  assert.is(allowed.status, 200, await allowed.clone().text());
  assert.ok(((await allowed.json()) as { plugins: { name: string }[] }).plugins.some((p) => p.name === "auth"));
  const refused = await fetch(`${host.url}/plugins/monitoring/api/summary`, { headers: { cookie: second } });
  assert.is(refused.status, 403);
  assert.is(((await refused.json()) as { error: { code: string } }).error.code, "CORRAL_E_ACCESS_FORBIDDEN");
});

start.run();
