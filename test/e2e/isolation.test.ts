// End to end: a plugin reaches exactly what its manifest grants, and its grants are visible.
// Attacks on what it was not granted live in the hostile corpus (test/e2e/hostile/).
import { createServer } from "node:http";
import type { Server } from "node:http";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

interface Attempt { ok: boolean; value?: string; error?: string }

const isolation = suite<{ t: TestHost; granted: Server; other: Server}>("isolation");

function listenOn(port: number): Promise<Server> {
  const server = createServer((_req, res) => res.end("upstream says hi"));
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

isolation.before(async (ctx) => {
  ctx.granted = await listenOn(47391);
  ctx.other = await listenOn(0);
  ctx.t = await startTestHost({
    plugins: ["escape"],
    env: { CORRAL_TEST_GRANTED: "granted-value", CORRAL_TEST_SECRET: "secret-value" },
  });
});
isolation.after(async (ctx) => {
  await ctx.t.close();
  ctx.granted.close();
  ctx.other.close();
});

async function probe(t: TestHost, path: string): Promise<Attempt> {
  const res = await fetch(`${t.url}/plugins/escape${path}`);
  assert.is(res.status, 200, `probe ${path} answered`);
  return await res.json() as Attempt;
}

function assertDenied(result: Attempt, what: string): void {
  assert.is(result.ok, false, `${what} must fail, but returned ${result.value}`);
}

isolation("a granted file can be read", async ({ t }) => {
  const result = await probe(t, "/read-granted");
  assert.is(result.ok, true, result.error);
  assert.match(result.value!, /readable by grant/);
});

isolation("fetch reaches the granted host:port and nothing else", async ({ t, other }) => {
  const granted = await probe(t, `/fetch?url=${encodeURIComponent("http://127.0.0.1:47391/")}`);
  assert.is(granted.ok, true, granted.error);
  assert.is(granted.value, "200");
  const port = (other.address() as { port: number }).port;
  const denied = await probe(t, `/fetch?url=${encodeURIComponent(`http://127.0.0.1:${port}/`)}`);
  assertDenied(denied, `fetch to an ungranted port ${port}`);
  assert.match(denied.error!, /NotCapable|net access/);
  assertDenied(await probe(t, `/fetch?url=${encodeURIComponent(`${t.url}/health`)}`), "fetch to the host's own port");
});

isolation("only granted environment variables exist, and only by name", async ({ t }) => {
  const granted = await probe(t, "/env-granted");
  assert.is(granted.ok, true, granted.error);
  assert.is(granted.value, "granted-value");
  const other = await probe(t, "/env-other");
  assertDenied(other, "Deno.env.get of an ungranted variable");
  assertDenied(await probe(t, "/env-all"), "Deno.env.toObject()");
});

isolation("the admin API shows every grant, and only with the admin token", async ({ t }) => {
  assert.is((await fetch(`${t.url}/admin/plugins`)).status, 401);
  assert.is((await fetch(`${t.url}/admin/plugins`, { headers: { authorization: "Bearer wrong" } })).status, 401);
  const res = await fetch(`${t.url}/admin/plugins/escape`, { headers: { authorization: `Bearer ${t.host.adminToken}` } });
  assert.is(res.status, 200);
  const plugin = await res.json() as { grants: { net: string[]; env: string[]; isolation: string } };
  assert.equal(plugin.grants.net, ["127.0.0.1:47391"]);
  assert.equal(plugin.grants.env, ["CORRAL_TEST_GRANTED"]);
});

isolation("/health and the log show every grant", async ({ t }) => {
  const health = await (await fetch(`${t.url}/health`)).json() as { plugins: Array<{ name: string; grants: { net: string[]; read: string[]; env: string[] } }> };
  const escape = health.plugins.find((p) => p.name === "escape")!;
  assert.equal(escape.grants.net, ["127.0.0.1:47391"]);
  assert.is(escape.grants.read.length, 1);
  assert.match(escape.grants.read[0]!, /granted\.txt$/);
  assert.equal(escape.grants.env, ["CORRAL_TEST_GRANTED"]);
  const line = t.logs.find((r) => r.plugin === "escape" && r.message.startsWith("grants:"));
  assert.ok(line, "a grants log line was written");
  assert.match(line!.message, /127\.0\.0\.1:47391/);
  assert.match(line!.message, /CORRAL_TEST_GRANTED/);
});

isolation.run();
