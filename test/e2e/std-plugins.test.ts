// End to end: the standard plugins quotes, markdown and monitoring through a real host, real Deno
// processes and real HTTP. quotes talks to a local fake upstream on an ephemeral port written into
// a copy of its manifest (its grant moves with it); monitoring reads the host's health through the
// host.health service; markdown renders for another plugin through the markdown.render point.
import { createServer } from "node:http";
import type { Server } from "node:http";
import { rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SHIPPED, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { copyPluginWith } from "../helpers/plugin-copy.ts";

interface Ctx { t: TestHost; upstream: Server; hits: Map<string, number>; copy: string }
const std = suite<Ctx>("standard plugins");

const QUOTE = { text: "Know <b>thyself</b>.", author: "Delphi" };

/** The fake upstream: topic "slow" never answers in time, "flaky" fails twice with 503, "none" is 404. */
function upstreamServer(hits: Map<string, number>): Server {
  return createServer((req, res) => {
    const topic = new URL(req.url ?? "/", "http://x").searchParams.get("topic") ?? "";
    const hit = (hits.get(topic) ?? 0) + 1;
    hits.set(topic, hit);
    if (topic === "slow") {
      const timer = setTimeout(() => res.end(JSON.stringify(QUOTE)), 5_000);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    if (topic === "none") return void res.writeHead(404).end("{}");
    if (topic === "flaky" && hit <= 2) return void res.writeHead(503).end("busy");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(QUOTE));
  });
}

/** The shipped quotes plugin with its grant and upstream moved to `port`, and a short timeout. */
function quotesOnPort(port: number): Promise<string> {
  return copyPluginWith(join(SHIPPED, "quotes"), (manifest) => {
    manifest.permissions.net = [`127.0.0.1:${port}`];
    manifest.config = { ...manifest.config, upstreamUrl: `http://127.0.0.1:${port}`, timeoutMs: 300, backoffMs: 20 };
  });
}

std.before(async (ctx) => {
  ctx.hits = new Map();
  ctx.upstream = upstreamServer(ctx.hits);
  await new Promise<void>((resolve, reject) => {
    ctx.upstream.once("error", reject);
    ctx.upstream.listen(0, "127.0.0.1", () => resolve());
  });
  const quotes = await quotesOnPort((ctx.upstream.address() as AddressInfo).port);
  ctx.copy = join(quotes, "..");
  ctx.t = await startTestHost({
    plugins: [quotes, join(SHIPPED, "markdown"), join(SHIPPED, "monitoring"), "std-identity", "std-md-user", "std-no-grant"],
    // locals.identity is reserved for a granted identity provider (docs/security.md, "Route roles").
    policy: { identity: { providers: ["std-identity"] } },
  });
});
std.after(async (ctx) => {
  await ctx.t.close();
  ctx.upstream.closeAllConnections();
  ctx.upstream.close();
  await rm(ctx.copy, { recursive: true, force: true });
});

std("quotes: JSON from the upstream, then from the host cache without asking it again", async ({ t, hits }) => {
  const first = await fetch(`${t.url}/plugins/quotes/api/wisdom`);
  assert.is(first.status, 200, await first.clone().text());
  const body = await first.json() as { quote: unknown; source: string };
  assert.equal(body.quote, QUOTE);
  assert.is(body.source, "upstream");
  const second = await (await fetch(`${t.url}/plugins/quotes/api/wisdom`)).json() as { source: string };
  assert.is(second.source, "cache");
  assert.is(hits.get("wisdom"), 1, "the upstream was asked once");
});

std("quotes: a 503 twice then a 200 is retried and answers 200", async ({ t, hits }) => {
  const res = await fetch(`${t.url}/plugins/quotes/api/flaky`);
  assert.is(res.status, 200, await res.clone().text());
  assert.equal((await res.json() as { quote: unknown }).quote, QUOTE);
  assert.is(hits.get("flaky"), 3);
});

std("quotes: a slow upstream is a 504 UPSTREAM_TIMEOUT after every retry timed out", async ({ t, hits }) => {
  const res = await fetch(`${t.url}/plugins/quotes/api/slow`);
  assert.is(res.status, 504);
  const { error } = await res.json() as { error: { code: string; message: string } };
  assert.is(error.code, "UPSTREAM_TIMEOUT");
  assert.match(error.message, /did not answer within 300 ms/);
  assert.is(hits.get("slow"), 3, "first attempt + config.retries (2)");
});

std("quotes: a 404 is not retried, and the page escapes what the upstream says", async ({ t, hits }) => {
  assert.is((await fetch(`${t.url}/plugins/quotes/api/none`)).status, 404);
  assert.is(hits.get("none"), 1);
  const page = await fetch(`${t.url}/plugins/quotes/?topic=wisdom`);
  assert.is(page.status, 200);
  const html = await page.text();
  assert.match(html, /<blockquote class="quote">Know &lt;b&gt;thyself&lt;\/b&gt;\.<\/blockquote>/);
  assert.match(html, /<figcaption class="author">Delphi<\/figcaption>/);
});

std("markdown: POST /render strips scripts, javascript: links and event handlers", async ({ t }) => {
  const markdown = "<script>alert(1)</script>\n\n[x](javascript:alert(2))\n\n<img src=x onerror=alert(3)>\n\n**ok**";
  const res = await fetch(`${t.url}/plugins/markdown/render`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ markdown }),
  });
  assert.is(res.status, 200);
  const { html } = await res.json() as { html: string };
  assert.not.match(html, /<script/i);
  assert.not.match(html, /href="javascript:/i);
  assert.not.match(html, /<img[^>]*onerror/i);
  assert.match(html, /<strong>ok<\/strong>/);
});

std("markdown: another plugin renders through the markdown.render extension point", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/std-md-user/preview`, {
    method: "POST", headers: { "content-type": "text/plain" }, body: "# Hi\n\n<script>x()</script>",
  });
  assert.is(res.status, 200, await res.clone().text());
  const html = await res.text();
  assert.match(html, /<article><h1>Hi<\/h1>/);
  assert.not.match(html, /<script/i);
});

std("host.health: refused without the manifest grant; /health shows who holds it", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/std-no-grant/`);
  assert.is(res.status, 403);
  const body = await res.json() as { code: string; message: string };
  assert.is(body.code, "CORRAL_E_CALL_DENIED");
  assert.match(body.message, /"host": \["health"\]/);
  const health = await (await fetch(`${t.url}/health`)).json() as { plugins: { name: string; grants: { host: string[] } }[] };
  const grants = Object.fromEntries(health.plugins.map((p) => [p.name, p.grants.host]));
  assert.equal(grants.monitoring, ["health"]);
  assert.equal(grants["std-no-grant"], []);
});

std("monitoring: 401 signed out, 403 for a viewer, the states and request counts for an operator", async ({ t }) => {
  // The host refuses (its codes, from monitoring's manifest access), not the plugin.
  const signedOut = await fetch(`${t.url}/plugins/monitoring/api/summary`);
  assert.is(signedOut.status, 401);
  assert.is(((await signedOut.json()) as { error: { code: string } }).error.code, "CORRAL_E_ACCESS_UNAUTHENTICATED");
  const viewerJson = await fetch(`${t.url}/plugins/monitoring/api/summary`, { headers: { "x-std-user": "vi", "x-std-roles": "viewer" } });
  assert.is(viewerJson.status, 403);
  assert.is(((await viewerJson.json()) as { error: { code: string } }).error.code, "CORRAL_E_ACCESS_FORBIDDEN");
  const viewer = await fetch(`${t.url}/plugins/monitoring/`, { headers: { "x-std-user": "vi", "x-std-roles": "viewer", accept: "text/html" } });
  assert.is(viewer.status, 403);
  assert.not.match(await viewer.text(), /<table/);

  const operator = { "x-std-user": "ops", "x-std-roles": "operator" };
  const summary = await (await fetch(`${t.url}/plugins/monitoring/api/summary`, { headers: operator })).json() as {
    status: string; plugins: { name: string; state: string; requests: number; rssMb: number | null }[];
  };
  const quotes = summary.plugins.find((p) => p.name === "quotes");
  assert.ok(quotes, JSON.stringify(summary));
  assert.is(quotes.state, "ready");
  assert.ok(quotes.requests >= 5, `quotes answered the earlier tests' requests, counted ${quotes.requests}`);
  assert.ok(summary.plugins.some((p) => p.name === "std-no-grant"));

  const page = await fetch(`${t.url}/plugins/monitoring/`, { headers: { ...operator, accept: "text/html" } });
  assert.is(page.status, 200);
  const html = await page.text();
  assert.match(html, /<tr class="plugin" data-plugin="quotes">/);
  assert.match(html, /Signed in as <span class="user">ops<\/span>/);
});

std.run();
