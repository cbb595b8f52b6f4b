// End to end: the host's middleware on real requests: request ids, the request context, the
// access log, secure headers, compression and body limits, on forwarded answers and the host's own.
import { Agent, request } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { json, send } from "../helpers/http.ts";

const http = suite<{ t: TestHost }>("http middleware");

http.before(async (ctx) => {
  ctx.t = await startTestHost({ plugins: ["mw-probe", "echo"] });
});
http.after(async (ctx) => {
  await ctx.t.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const probe = (t: TestHost, path: string) => `${t.url}/plugins/mw-probe${path}`;

interface Seen { context: string | null; requestId: string | null }

async function seenByPlugin(t: TestHost): Promise<string[]> {
  return json<{ seen: string[] }>(await send(probe(t, "/seen"))).seen;
}

http("a request without an id gets a new one, echoed to the client and handed to the plugin", async ({ t }) => {
  const res = await send(probe(t, "/context"));
  assert.is(res.status, 200);
  const id = res.headers["x-request-id"] as string;
  assert.match(id, UUID);
  const seen = json<Seen>(res);
  assert.equal(JSON.parse(seen.context!), { requestId: id, csrfToken: JSON.parse(seen.context!).csrfToken, locals: {}, clientAddress: "127.0.0.1", secure: false });
  assert.match(JSON.parse(seen.context!).csrfToken, /^[A-Za-z0-9_-]{43}$/);
  const again = await send(probe(t, "/context"));
  assert.is.not(again.headers["x-request-id"], id, "every request gets its own id");
});

http("a sane incoming x-request-id is kept; an insane one is replaced", async ({ t }) => {
  const kept = await send(probe(t, "/context"), { headers: { "x-request-id": "edge-42.a:b_c" } });
  assert.is(kept.headers["x-request-id"], "edge-42.a:b_c");
  assert.is(JSON.parse(json<Seen>(kept).context!).requestId, "edge-42.a:b_c");
  for (const bad of ["has spaces", "x".repeat(129), "<script>", "quote\"d"]) {
    const res = await send(probe(t, "/context"), { headers: { "x-request-id": bad } });
    assert.match(res.headers["x-request-id"] as string, UUID, `replaced: ${bad}`);
    assert.is(JSON.parse(json<Seen>(res).context!).requestId, res.headers["x-request-id"]);
  }
});

http("the host's request id replaces one the plugin sets", async ({ t }) => {
  const res = await send(probe(t, "/own-request-id"), { headers: { "x-request-id": "client-1" } });
  assert.is(res.headers["x-request-id"], "client-1");
  assert.is(res.text, "mine");
});

http("the host's own answers carry the request id too: /health, errors, the admin API", async ({ t }) => {
  for (const path of ["/health", "/nothing-here", "/plugins/no-such-plugin/", "/admin/plugins", "/health/plugins/nope"]) {
    const res = await send(`${t.url}${path}`, { headers: { "x-request-id": "host-route-1" } });
    assert.is(res.headers["x-request-id"], "host-route-1", path);
  }
});

http("a client's own corral-context header never reaches the plugin", async ({ t }) => {
  const forged = JSON.stringify({ requestId: "forged", csrfToken: "forged", locals: { user: "admin" } });
  const res = await send(probe(t, "/context"), { headers: { "corral-context": forged, "Corral-Context": forged } });
  const context = JSON.parse(json<Seen>(res).context!) as { requestId: string; csrfToken: string; locals: object };
  assert.is(context.requestId, res.headers["x-request-id"]);
  assert.is.not(context.csrfToken, "forged");
  assert.equal(context.locals, {});
  // The echo plugin sees every header it got: exactly one context header, the host's.
  const echoed = await fetch(`${t.url}/plugins/echo/echo/x`, { headers: { "corral-context": forged } });
  const headers = (await echoed.json() as { headers: Record<string, string> }).headers;
  assert.not.match(headers["corral-context"]!, /forged/);
});

http("one access record per request, with its fields, under the plugin's name, without the query string", async ({ t }) => {
  const body = "x".repeat(300);
  const res = await send(probe(t, "/submit?token=hunter2&b=1"), {
    method: "POST", body, headers: { "x-request-id": "access-log-1", "content-type": "text/plain" },
  });
  assert.is(res.status, 200);
  const record = await eventually(() => t.logs.find((r) => r.message === "request" && r.fields?.requestId === "access-log-1"), 5000, "the access record");
  assert.is(record.plugin, "mw-probe");
  assert.is(record.level, "info");
  const fields = record.fields as Record<string, unknown>;
  assert.equal(Object.keys(fields).sort(), ["bytesIn", "bytesOut", "durationMs", "method", "path", "remoteAddress", "requestId", "status"]);
  assert.is(fields.method, "POST");
  assert.is(fields.path, "/plugins/mw-probe/submit");
  assert.is(fields.status, 200);
  assert.is(fields.bytesIn, 300);
  assert.ok((fields.bytesOut as number) > res.body.byteLength, "bytesOut counts the status line, headers and body");
  assert.type(fields.durationMs, "number");
  assert.ok((fields.durationMs as number) >= 0);
  assert.is(fields.remoteAddress, "127.0.0.1");
  assert.not.match(JSON.stringify(t.logs), /hunter2/);
  assert.is(t.logs.filter((r) => r.message === "request" && r.fields?.requestId === "access-log-1").length, 1);
});

http("host routes and refusals are logged too, without a plugin name", async ({ t }) => {
  await send(`${t.url}/health?verbose=1`, { headers: { "x-request-id": "access-log-2" } });
  await send(`${t.url}/plugins/no-such-plugin/x`, { headers: { "x-request-id": "access-log-3" } });
  const health = await eventually(() => t.logs.find((r) => r.fields?.requestId === "access-log-2"), 5000, "the /health record");
  assert.is(health.plugin, undefined);
  assert.is(health.fields?.path, "/health");
  assert.is(health.fields?.status, 200);
  const missing = await eventually(() => t.logs.find((r) => r.fields?.requestId === "access-log-3"), 5000, "the 404 record");
  assert.is(missing.plugin, undefined, "an unknown name never becomes a plugin logger");
  assert.is(missing.fields?.status, 404);
});

const DEFAULT_SECURE = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "referrer-policy": "strict-origin-when-cross-origin",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "origin-agent-cluster": "?1",
};

http("secure headers are on forwarded answers, the host's own answers and errors; no HSTS by default", async ({ t }) => {
  for (const path of ["/plugins/mw-probe/page", "/plugins/mw-probe/json", "/health", "/nothing-here", "/plugins/no-such-plugin/", "/admin/plugins"]) {
    const res = await send(`${t.url}${path}`);
    for (const [name, value] of Object.entries(DEFAULT_SECURE)) assert.is(res.headers[name], value, `${path}: ${name}`);
    assert.match(res.headers["content-security-policy"] as string, /frame-ancestors 'self'/, path);
    assert.match(res.headers["content-security-policy"] as string, /object-src 'none'/, path);
    assert.is(res.headers["strict-transport-security"], undefined, path);
  }
});

http("a plugin's own value for a secure header wins; the others still apply", async ({ t }) => {
  const res = await send(probe(t, "/own-headers"));
  assert.is(res.headers["x-frame-options"], "DENY");
  assert.is(res.headers["content-security-policy"], "default-src 'none'");
  assert.is(res.headers["x-content-type-options"], "nosniff");
  assert.is(res.headers["cross-origin-opener-policy"], "same-origin");
});

http("gzip and brotli answers decode to the original body, with Vary and the compressed length", async ({ t }) => {
  const original = (await send(probe(t, "/text/5000"))).text;
  assert.is(original.length, 5000);
  const gz = await send(probe(t, "/text/5000"), { headers: { "accept-encoding": "gzip" } });
  assert.is(gz.headers["content-encoding"], "gzip");
  assert.is(gz.headers.vary, "Accept-Encoding");
  assert.is(Number(gz.headers["content-length"]), gz.body.byteLength);
  assert.ok(gz.body.byteLength < 1000, `compressed to ${gz.body.byteLength} bytes`);
  assert.is(gunzipSync(gz.body).toString(), original);
  const br = await send(probe(t, "/text/5000"), { headers: { "accept-encoding": "gzip, deflate, br" } });
  assert.is(br.headers["content-encoding"], "br");
  assert.is(brotliDecompressSync(br.body).toString(), original);
  const refused = await send(probe(t, "/text/5000"), { headers: { "accept-encoding": "br;q=0, gzip;q=0" } });
  assert.is(refused.headers["content-encoding"], undefined);
  assert.is(refused.text, original);
  assert.is(refused.headers.vary, "Accept-Encoding", "the answer still depends on Accept-Encoding");
});

http("small bodies, images and bodies the plugin encoded itself are sent as they are", async ({ t }) => {
  const small = await send(probe(t, "/text/1000"), { headers: { "accept-encoding": "gzip, br" } });
  assert.is(small.headers["content-encoding"], undefined);
  assert.is(small.body.byteLength, 1000);
  const png = await send(probe(t, "/png/5000"), { headers: { "accept-encoding": "gzip, br" } });
  assert.is(png.headers["content-encoding"], undefined);
  assert.is(png.body.byteLength, 5000);
  const pre = await send(probe(t, "/pre-encoded"), { headers: { "accept-encoding": "br" } });
  assert.is(pre.headers["content-encoding"], "gzip");
  assert.is(pre.text, "not really gzip ".repeat(200));
});

http("body limits still hold: 413 before the plugin sees the request, with or without a CSRF token", async ({ t }) => {
  const postsBefore = (await seenByPlugin(t)).filter((s) => s === "POST /submit").length;
  const tooBig = "x".repeat(65_537);
  const res = await send(probe(t, "/submit"), { method: "POST", body: tooBig, headers: { "x-request-id": "too-big-1" } });
  assert.is(res.status, 413);
  assert.is(json<{ error: { code: string } }>(res).error.code, "CORRAL_E_BODY_TOO_LARGE");
  assert.is(res.headers["x-request-id"], "too-big-1");
  const token = "A".repeat(43);
  const browser = await send(probe(t, "/submit"), {
    method: "POST", body: tooBig, headers: { cookie: `corral_csrf=${token}`, "x-csrf-token": token },
  });
  assert.is(browser.status, 413);
  const fits = await send(probe(t, "/submit"), { method: "POST", body: "x".repeat(65_536) });
  assert.is(fits.status, 200);
  assert.is((await seenByPlugin(t)).filter((s) => s === "POST /submit").length, postsBefore + 1, "only the request that fits reached the plugin");
});

http("HEAD to a plugin is answered once and the connection stays open", async ({ t }) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const go = (method: string) => new Promise<{ status: number; reused: boolean; id: string }>((resolve, reject) => {
    const req = request(probe(t, "/json"), { method, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, id: String(res.headers["x-request-id"]) }));
    });
    req.on("error", reject);
    req.end();
  });
  try {
    const head = await go("HEAD");
    assert.is(head.status, 200);
    assert.match(head.id, UUID);
    const get = await go("GET");
    assert.is(get.status, 200);
    assert.ok(get.reused, "the GET went over the HEAD's connection");
  } finally {
    agent.destroy();
  }
});

http.run();

const configured = suite<{ t: TestHost }>("http middleware as the policy configures it");

configured.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["mw-probe"],
    policy: {
      http: {
        accessLog: false,
        secureHeaders: { "strict-transport-security": "max-age=63072000; includeSubDomains", "x-frame-options": false },
        compression: { enabled: false },
      },
    },
  });
});
configured.after(async (ctx) => {
  await ctx.t.close();
});

configured("HSTS when configured, a removed default stays away, no compression, no access records", async ({ t }) => {
  for (const path of ["/plugins/mw-probe/text/5000", "/health", "/plugins/none/"]) {
    const res = await send(`${t.url}${path}`, { headers: { "accept-encoding": "gzip, br", "x-request-id": "configured-1" } });
    assert.is(res.headers["strict-transport-security"], "max-age=63072000; includeSubDomains", path);
    assert.is(res.headers["x-frame-options"], undefined, path);
    assert.is(res.headers["x-content-type-options"], "nosniff", path);
    assert.is(res.headers["content-encoding"], undefined, path);
    assert.is(res.headers["x-request-id"], "configured-1", path);
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.is(t.logs.filter((r) => r.message === "request").length, 0);
});

configured.run();
