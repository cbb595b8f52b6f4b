// End to end: requests go through real HTTP to a real Deno process and back, intact.
import { request } from "node:http";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

const forwarding = suite<{ t: TestHost }>("forwarding");

forwarding.before(async (ctx) => {
  ctx.t = await startTestHost({ plugins: ["echo"] });
});
forwarding.after(async (ctx) => {
  await ctx.t.close();
});

forwarding("a POST's method, path, query, headers and body reach the plugin unchanged", async ({ t }) => {
  const body = JSON.stringify({ hello: "wörld", n: [1, 2, 3] });
  const res = await fetch(`${t.url}/plugins/echo/echo/a/b?x=1&y=two`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-trace-id": "abc123", "Accept-Language": "fr" },
    body,
  });
  assert.is(res.status, 200);
  const seen = await res.json() as { method: string; path: string; query: Record<string, string>; headers: Record<string, string>; bodyBase64: string };
  assert.is(seen.method, "POST");
  assert.is(seen.path, "/echo/a/b");
  assert.equal(seen.query, { x: "1", y: "two" });
  assert.is(seen.headers["x-trace-id"], "abc123");
  assert.is(seen.headers["accept-language"], "fr");
  assert.is(seen.headers["content-type"], "application/json");
  assert.is(Buffer.from(seen.bodyBase64, "base64").toString("utf8"), body);
});

forwarding("hop-by-hop request headers are not forwarded", async ({ t }) => {
  // fetch() refuses to send these, so speak HTTP/1.1 through node:http.
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(`${t.url}/plugins/echo/echo/`, {
      headers: { "keep-alive": "timeout=5", "proxy-authorization": "Basic eDp5", "te": "trailers", "x-kept": "1" },
    }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.end();
  });
  const seen = JSON.parse(body) as { headers: Record<string, string> };
  assert.is(seen.headers["x-kept"], "1");
  assert.is(seen.headers["keep-alive"], undefined);
  assert.is(seen.headers["proxy-authorization"], undefined);
  assert.is(seen.headers["te"], undefined);
});

forwarding("status, custom headers and repeated set-cookie come back to the client", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/echo/status/201`);
  assert.is(res.status, 201);
  assert.is(res.headers.get("x-custom"), "yes");
  assert.is(await res.text(), "status 201");
  const cookies = await fetch(`${t.url}/plugins/echo/cookies`);
  assert.equal(cookies.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
});

forwarding("binary bodies survive byte for byte", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/echo/binary`);
  assert.equal([...new Uint8Array(await res.arrayBuffer())], [0, 1, 2, 255, 254]);
  assert.is(res.headers.get("content-type"), "application/octet-stream");
  const upload = new Uint8Array(70_000).map((_, i) => i % 251);
  const echoed = await fetch(`${t.url}/plugins/echo/echo/bin`, { method: "PUT", body: upload });
  const seen = await echoed.json() as { bodyBase64: string };
  assert.ok(Buffer.from(seen.bodyBase64, "base64").equals(Buffer.from(upload)));
});

forwarding("the mount path without a trailing slash reaches the plugin's root", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/echo/whoami`);
  assert.equal(await res.json(), { name: "echo", version: "1.2.3", config: { greeting: "hi" } });
});

forwarding("a percent-encoded plugin name or a dot segment reaches the plugin the router chose, with the right path", async ({ t }) => {
  // fetch() would normalize the URL itself: send the raw request line through node:http. (The
  // plugin's Hono decodes the path it reports.)
  const seenPath = (rawPath: string) => new Promise<{ status: number; path: string }>((resolve, reject) => {
    request(`${t.url}${rawPath}`, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, path: (JSON.parse(text) as { path: string }).path }));
    }).on("error", reject).end();
  });
  assert.equal(await seenPath("/plugins/%65cho/echo/a%20b"), { status: 200, path: "/echo/a b" });
  assert.equal(await seenPath("/plugins/nothing/../echo/echo/x"), { status: 200, path: "/echo/x" });
});

forwarding("a body over limits.maxBodyBytes is refused with 413 before reaching the plugin", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/echo/echo/`, { method: "POST", body: "x".repeat(1024 * 1024 + 1) });
  assert.is(res.status, 413);
  const json = await res.json() as { error: { code: string; message: string } };
  assert.is(json.error.code, "CORRAL_E_BODY_TOO_LARGE");
  assert.match(json.error.message, /maxBodyBytes/);
});

forwarding("a handler that throws gives a 500 and the plugin keeps serving", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/echo/throw`);
  assert.is(res.status, 500);
  assert.not.match(await res.text(), /handler exploded|at /);
  assert.is((await fetch(`${t.url}/plugins/echo/whoami`)).status, 200);
});

forwarding("concurrent requests are answered independently", async ({ t }) => {
  const slow = fetch(`${t.url}/plugins/echo/slow/300`).then((r) => r.text());
  const started = Date.now();
  const fast = await fetch(`${t.url}/plugins/echo/whoami`);
  assert.is(fast.status, 200);
  assert.ok(Date.now() - started < 250, "a slow request must not hold up a fast one");
  assert.is(await slow, "slow done");
});

forwarding("an unknown plugin is a JSON 404", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/nope/`);
  assert.is(res.status, 404);
  assert.is((await res.json() as { error: { code: string } }).error.code, "CORRAL_E_PLUGIN_NOT_FOUND");
});

forwarding("plugin log records reach the host log tagged with the plugin name", async ({ t }) => {
  const record = t.logs.find((r) => r.message === "echo plugin init");
  assert.ok(record, "the init log record arrived");
  assert.is(record!.plugin, "echo");
  assert.equal(record!.fields, { greeting: "hi" });
});

forwarding("/health lists the plugin with its version, state and isolation", async ({ t }) => {
  const res = await fetch(`${t.url}/health`);
  assert.is(res.status, 200);
  const health = await res.json() as { status: string; plugins: Array<{ name: string; version: string; state: string; isolation: string; grants: { memoryMb: number } }> };
  assert.is(health.status, "ok");
  const echo = health.plugins.find((p) => p.name === "echo")!;
  assert.is(echo.version, "1.2.3");
  assert.is(echo.state, "ready");
  assert.is(echo.isolation, process.env.CORRAL_NO_BWRAP === "1" ? "none" : "namespace");
  assert.is(echo.grants.memoryMb, 128);
});

forwarding.run();
