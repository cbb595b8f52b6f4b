// End to end: /metrics and the admin API's request series on a real host, with a real plugin
// process and its database: who may scrape, what each kind of request adds, the numbers read from
// /health, the response cache, statements timed in the host, and the trace context a plugin gets
// when the host itself does not trace.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { json, send } from "../helpers/http.ts";
import { parseExposition, type Sample, sumOf, valueOf } from "../helpers/prometheus.ts";

const metrics = suite<{ t: TestHost }>("metrics");

metrics.before(async (ctx) => {
  ctx.t = await startTestHost({ plugins: ["met-db"] });
});
metrics.after(async (ctx) => {
  await ctx.t.close();
});

const plugin = (t: TestHost, path: string) => `${t.url}/plugins/met-db${path}`;
const bearer = (t: TestHost) => ({ authorization: `Bearer ${t.host.adminToken}` });

async function scrape(t: TestHost): Promise<Sample[]> {
  const res = await send(`${t.url}/metrics`, { headers: bearer(t) });
  assert.is(res.status, 200, res.text);
  assert.match(res.headers["content-type"] as string, /^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text);
}

const requests = (s: Sample[], labels: Record<string, string>) => sumOf(s, "corral_http_requests_total", { plugin: "met-db", ...labels });

metrics("/metrics refuses a caller without an admin credential, and names what to send", async ({ t }) => {
  const none = await send(`${t.url}/metrics`);
  assert.is(none.status, 401);
  assert.match(none.text, /CORRAL_E_ADMIN_AUTH/);
  assert.match(none.text, /Authorization: Bearer/);
  const wrong = await send(`${t.url}/metrics`, { headers: { authorization: "Bearer not-the-token" } });
  assert.is(wrong.status, 401);
});

metrics("each request is counted under its plugin, method and status class, with its latency and bytes", async ({ t }) => {
  const before = await scrape(t);
  for (let i = 0; i < 3; i++) assert.is((await send(plugin(t, "/ok"))).status, 200);
  assert.is((await send(plugin(t, "/fail"))).status, 500);
  assert.is((await send(plugin(t, "/echo"), { method: "POST", body: "0123456789" })).status, 200);
  const after = await scrape(t);
  assert.is(requests(after, { method: "GET", status_class: "2xx" }) - requests(before, { method: "GET", status_class: "2xx" }), 3);
  assert.is(requests(after, { method: "GET", status_class: "5xx" }) - requests(before, { method: "GET", status_class: "5xx" }), 1);
  assert.is(requests(after, { method: "POST", status_class: "2xx" }) - requests(before, { method: "POST", status_class: "2xx" }), 1);
  const count = (s: Sample[]) => sumOf(s, "corral_http_request_duration_seconds_count", { plugin: "met-db" });
  assert.is(count(after) - count(before), 5, "every request is in the latency histogram");
  const bytesIn = (s: Sample[]) => sumOf(s, "corral_http_request_body_bytes_total", { plugin: "met-db" });
  assert.is(bytesIn(after) - bytesIn(before), 10);
  const bytesOut = (s: Sample[]) => sumOf(s, "corral_http_response_bytes_total", { plugin: "met-db" });
  assert.ok(bytesOut(after) - bytesOut(before) > 5 * "HTTP/1.1 200 OK\r\n".length, "status lines, headers and bodies are counted");
  // Labels stay bounded: no path or id ever becomes a label.
  for (const sample of after) {
    for (const [name, value] of Object.entries(sample.labels)) assert.not.match(value, /\//, `${sample.name} ${name}="${value}"`);
  }
});

metrics("the host's own errors are counted by CORRAL_E code; the host's routes have an empty plugin label", async ({ t }) => {
  const before = await scrape(t);
  // Cookies without a CSRF token: the host refuses before the plugin is asked.
  const csrf = await send(plugin(t, "/echo"), { method: "POST", headers: { cookie: "a=1" }, body: "x" });
  assert.is(csrf.status, 403);
  assert.is((await send(`${t.url}/no-such-route`)).status, 404);
  const after = await scrape(t);
  const code = (s: Sample[], labels: Record<string, string>) => sumOf(s, "corral_http_host_errors_total", labels);
  assert.is(code(after, { plugin: "met-db", code: "CORRAL_E_CSRF" }) - code(before, { plugin: "met-db", code: "CORRAL_E_CSRF" }), 1);
  assert.is(code(after, { plugin: "", code: "CORRAL_E_PLUGIN_NOT_FOUND" }) - code(before, { plugin: "", code: "CORRAL_E_PLUGIN_NOT_FOUND" }), 1);
  assert.ok(sumOf(after, "corral_http_requests_total", { plugin: "", status_class: "4xx" }) >= 1);
});

metrics("statements are timed in the host, by outcome; the pool is read from /health", async ({ t }) => {
  const before = await scrape(t);
  const res = await send(plugin(t, "/query"));
  assert.is(res.status, 200, res.text);
  assert.is(json<{ n: number }>(res).n, 3);
  assert.is((await send(plugin(t, "/bad-sql"))).status, 500);
  const after = await scrape(t);
  const statements = (s: Sample[], outcome: string) => valueOf(s, "corral_db_query_duration_seconds_count", { plugin: "met-db", outcome }) ?? 0;
  assert.is(statements(after, "ok") - statements(before, "ok"), 2);
  assert.is(statements(after, "error") - statements(before, "error"), 1);
  const health = json<{ database: { poolSize: number } }>(await send(`${t.url}/health/plugins/met-db`));
  assert.is(valueOf(after, "corral_db_pool_connections", { plugin: "met-db", state: "size" }), health.database.poolSize);
  assert.ok((valueOf(after, "corral_db_pool_connections", { plugin: "met-db", state: "open" }) ?? 0) >= 1);
  assert.is(valueOf(after, "corral_db_open_transactions", { plugin: "met-db" }), 0);
});

metrics("process numbers come from /health: state, starts, restarts, memory, CPU, disk", async ({ t }) => {
  const samples = await eventually(async () => {
    const s = await scrape(t);
    return (valueOf(s, "corral_plugin_cpu_seconds_total", { plugin: "met-db" }) ?? 0) > 0 ? s : undefined;
  }, 10_000, "a CPU sample");
  assert.is(valueOf(samples, "corral_plugin_state", { plugin: "met-db", state: "ready" }), 1);
  assert.is(valueOf(samples, "corral_plugin_process_starts_total", { plugin: "met-db" }), 1);
  assert.is(valueOf(samples, "corral_plugin_restarts_total", { plugin: "met-db" }), 0);
  assert.ok((valueOf(samples, "corral_plugin_memory_rss_bytes", { plugin: "met-db" }) ?? 0) > 10 * 1024 * 1024, "a Deno process holds megabytes");
  assert.type(valueOf(samples, "corral_plugin_disk_read_bytes_total", { plugin: "met-db" }), "number");
  assert.type(valueOf(samples, "corral_plugin_disk_write_bytes_total", { plugin: "met-db" }), "number");
  assert.is(valueOf(samples, "corral_plugin_requests_in_flight", { plugin: "met-db" }), 0);
  assert.type(valueOf(samples, "corral_host_process_resident_memory_bytes"), "number", "the host's own process metrics");
  const health = json<{ usage: { processStarts: number; cpuSeconds: number } }>(await send(`${t.url}/health/plugins/met-db`));
  assert.is(health.usage.processStarts, 1);
  assert.ok(health.usage.cpuSeconds >= (valueOf(samples, "corral_plugin_cpu_seconds_total", { plugin: "met-db" }) ?? Infinity));
});

metrics("response cache hits and misses are counted per plugin", async ({ t }) => {
  const before = await scrape(t);
  assert.is((await send(plugin(t, "/cached"))).text, "cache me");
  assert.is((await send(plugin(t, "/cached"))).text, "cache me");
  const after = await scrape(t);
  const of = (s: Sample[], name: string) => valueOf(s, name, { plugin: "met-db", cache: "response" }) ?? 0;
  assert.is(of(after, "corral_cache_misses_total") - of(before, "corral_cache_misses_total"), 1);
  assert.is(of(after, "corral_cache_hits_total") - of(before, "corral_cache_hits_total"), 1);
  assert.ok(of(after, "corral_cache_entries") >= 1);
});

metrics("GET /admin/plugins/:name/metrics gives the dashboard's series: requests, 5xx errors, p50 and p95", async ({ t }) => {
  const url = `${t.url}/admin/plugins/met-db/metrics`;
  assert.is((await send(url)).status, 401);
  const series = () => send(url, { headers: bearer(t) }).then((r) => json<{ bucketMs: number; points: { t: number; requests: number; errors: number; p50Ms: number; p95Ms: number }[] }>(r));
  const before = (await series()).points;
  const total = (points: typeof before) => points.reduce((a, p) => a + p.requests, 0);
  const errors = (points: typeof before) => points.reduce((a, p) => a + p.errors, 0);
  await send(plugin(t, "/ok"));
  await send(plugin(t, "/fail"));
  const body = await series();
  assert.is(body.bucketMs, 10_000);
  assert.is(total(body.points) - total(before), 2);
  assert.is(errors(body.points) - errors(before), 1);
  const last = body.points.at(-1)!;
  assert.ok(last.t % 10_000 === 0 && last.t <= Date.now());
  assert.ok(last.p95Ms >= last.p50Ms && last.p50Ms > 0);
  const missing = await send(`${t.url}/admin/plugins/nope/metrics`, { headers: bearer(t) });
  assert.is(missing.status, 404);
  assert.match(missing.text, /CORRAL_E_PLUGIN_NOT_FOUND/);
});

metrics("without tracing, a plugin is handed the client's valid traceparent as is, and nothing for a malformed one", async ({ t }) => {
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const kept = json<{ traceparent: string | null; tracestate: string | null }>(
    await send(plugin(t, "/query"), { headers: { traceparent, tracestate: "vendor=1" } }));
  assert.equal(kept, { n: 3, traceparent, tracestate: "vendor=1" } as unknown as typeof kept);
  for (const bad of ["00-00000000000000000000000000000000-00f067aa0ba902b7-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "garbage"]) {
    const res = json<{ traceparent: string | null }>(await send(plugin(t, "/query"), { headers: { traceparent: bad } }));
    assert.is(res.traceparent, null, bad);
  }
  const none = json<{ traceparent: string | null }>(await send(plugin(t, "/query")));
  assert.is(none.traceparent, null);
});

metrics.run();
