/** Tests for the host's Prometheus metrics: request counting, bounded labels, values read from /health at scrape. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { HealthReport } from "../../../host/health.ts";
import type { AccessRecord } from "../../../host/http/middleware/access-log.ts";
import { HostMetrics, statusClass } from "../../../host/metrics/host-metrics.ts";
import { parseExposition, sumOf, valueOf } from "../../helpers/prometheus.ts";

function record(overrides: Partial<AccessRecord> = {}): AccessRecord {
  return { method: "GET", path: "/plugins/a/x", status: 200, durationMs: 12, bytesIn: 0, bytesOut: 100, requestId: "r", remoteAddress: "127.0.0.1", ...overrides };
}

function plugin(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name, version: "1.0.0", state: "ready", isolation: "none", grants: {}, pid: 1, restarts: 2, inFlight: 3, rssBytes: 50_000_000,
    lastExit: null, failure: null, readySince: null, database: null,
    usage: { processStarts: 3, cpuSeconds: 1.5, diskReadBytes: 4096, diskWriteBytes: 8192 },
    ...overrides,
  };
}

function report(plugins: unknown[], extra: Partial<HealthReport> = {}): HealthReport {
  return { status: "ok", version: "0.1.0", uptimeMs: 1, plugins, invalid: [], hooks: [], ...extra } as unknown as HealthReport;
}

test("requests are counted by plugin, method and status class; latency in seconds; bytes; host error codes", async () => {
  const metrics = new HostMetrics(() => report([]), { processMetrics: false });
  metrics.requestFinished("a", undefined, record());
  metrics.requestFinished("a", undefined, record({ status: 204, durationMs: 2000, bytesIn: 7 }));
  metrics.requestFinished("a", "CORRAL_E_REQUEST_TIMEOUT", record({ status: 504 }));
  metrics.requestFinished("a", undefined, record({ method: "PROPFIND", status: 0 }));
  metrics.requestFinished(undefined, "CORRAL_E_PLUGIN_NOT_FOUND", record({ status: 404 }));
  const s = parseExposition((await metrics.scrape()).body);
  assert.is(valueOf(s, "corral_http_requests_total", { plugin: "a", method: "GET", status_class: "2xx" }), 2);
  assert.is(valueOf(s, "corral_http_requests_total", { plugin: "a", method: "GET", status_class: "5xx" }), 1);
  assert.is(valueOf(s, "corral_http_requests_total", { plugin: "a", method: "OTHER", status_class: "none" }), 1, "odd methods are folded");
  assert.is(valueOf(s, "corral_http_requests_total", { plugin: "", method: "GET", status_class: "4xx" }), 1);
  assert.is(valueOf(s, "corral_http_request_duration_seconds_bucket", { plugin: "a", method: "GET", le: "0.025" }), 2);
  assert.is(valueOf(s, "corral_http_request_duration_seconds_bucket", { plugin: "a", method: "GET", le: "2.5" }), 3);
  assert.is(valueOf(s, "corral_http_request_duration_seconds_sum", { plugin: "a", method: "GET" }), 2.024);
  assert.is(valueOf(s, "corral_http_request_body_bytes_total", { plugin: "a" }), 7);
  assert.is(valueOf(s, "corral_http_response_bytes_total", { plugin: "a" }), 400);
  assert.is(valueOf(s, "corral_http_host_errors_total", { plugin: "a", code: "CORRAL_E_REQUEST_TIMEOUT" }), 1);
  assert.is(valueOf(s, "corral_http_host_errors_total", { plugin: "", code: "CORRAL_E_PLUGIN_NOT_FOUND" }), 1);
});

test("plugin numbers are read from one health() per scrape, and follow it from scrape to scrape", async () => {
  let calls = 0;
  let plugins: unknown[] = [
    plugin("a", { database: { poolSize: 5, poolTotal: 2, poolIdle: 1, poolWaiting: 0, openTransactions: 1, inFlight: 1 }, responseCache: { hits: 4, misses: 6, stores: 6, evictions: 1, entries: 5, bytes: 900 } }),
    { name: "b", version: "1.0.0", state: "blocked", blockedBy: "a", chain: ["b", "a"], code: "X", failure: "f" },
  ];
  const metrics = new HostMetrics(() => {
    calls++;
    return report(plugins, { cache: { maxBytes: 1, bytes: 1, entries: 1, plugins: [{ name: "a", maxBytes: 10, bytes: 300, entries: 2, hits: 9, misses: 1, hitRate: 0.9, sets: 2, deletes: 0, evictions: 0, expirations: 0 }] } as unknown as HealthReport["cache"] });
  }, { processMetrics: false });
  let s = parseExposition((await metrics.scrape()).body);
  assert.is(calls, 1, "one health report per scrape");
  assert.is(valueOf(s, "corral_plugin_state", { plugin: "a", state: "ready" }), 1);
  assert.is(valueOf(s, "corral_plugin_state", { plugin: "b", state: "blocked" }), 1, "blocked plugins have a state");
  assert.is(valueOf(s, "corral_plugin_restarts_total", { plugin: "b" }), undefined, "and nothing else");
  assert.is(valueOf(s, "corral_plugin_restarts_total", { plugin: "a" }), 2);
  assert.is(valueOf(s, "corral_plugin_process_starts_total", { plugin: "a" }), 3);
  assert.is(valueOf(s, "corral_plugin_memory_rss_bytes", { plugin: "a" }), 50_000_000);
  assert.is(valueOf(s, "corral_plugin_cpu_seconds_total", { plugin: "a" }), 1.5);
  assert.is(valueOf(s, "corral_plugin_disk_read_bytes_total", { plugin: "a" }), 4096);
  assert.is(valueOf(s, "corral_plugin_disk_write_bytes_total", { plugin: "a" }), 8192);
  assert.is(valueOf(s, "corral_plugin_requests_in_flight", { plugin: "a" }), 3);
  assert.is(valueOf(s, "corral_plugin_queue_depth", { plugin: "a" }), undefined, "no queue in front of a plain supervisor");
  assert.is(valueOf(s, "corral_db_pool_connections", { plugin: "a", state: "size" }), 5);
  assert.is(valueOf(s, "corral_db_pool_connections", { plugin: "a", state: "idle" }), 1);
  assert.is(valueOf(s, "corral_db_open_transactions", { plugin: "a" }), 1);
  assert.is(valueOf(s, "corral_cache_hits_total", { plugin: "a", cache: "response" }), 4);
  assert.is(valueOf(s, "corral_cache_misses_total", { plugin: "a", cache: "response" }), 6);
  assert.is(valueOf(s, "corral_cache_hits_total", { plugin: "a", cache: "host" }), 9);
  assert.is(valueOf(s, "corral_cache_bytes", { plugin: "a", cache: "host" }), 300);

  plugins = [plugin("a", { state: "restarting", restarts: 3, rssBytes: null, queueDepth: 7, busyRejections: 2, instanceCount: 3 })];
  s = parseExposition((await metrics.scrape()).body);
  assert.is(valueOf(s, "corral_plugin_state", { plugin: "a", state: "ready" }), undefined, "the old state is gone");
  assert.is(valueOf(s, "corral_plugin_state", { plugin: "a", state: "restarting" }), 1);
  assert.is(valueOf(s, "corral_plugin_restarts_total", { plugin: "a" }), 3);
  assert.is(valueOf(s, "corral_plugin_memory_rss_bytes", { plugin: "a" }), undefined, "no process, no memory");
  assert.is(valueOf(s, "corral_plugin_state", { plugin: "b" }), undefined, "plugins that left are gone");
  assert.is(valueOf(s, "corral_plugin_queue_depth", { plugin: "a" }), 7);
  assert.is(valueOf(s, "corral_plugin_busy_rejections_total", { plugin: "a" }), 2);
  assert.is(valueOf(s, "corral_plugin_instances", { plugin: "a" }), 3);
});

test("statements are timed per plugin and outcome", async () => {
  const metrics = new HostMetrics(() => report([]), { processMetrics: false });
  const observer = metrics.queryObserver("a");
  observer.started("select 1", undefined)();
  observer.started("select 2", undefined)();
  observer.started("select nope", undefined)("42P01");
  const s = parseExposition((await metrics.scrape()).body);
  assert.is(valueOf(s, "corral_db_query_duration_seconds_count", { plugin: "a", outcome: "ok" }), 2);
  assert.is(valueOf(s, "corral_db_query_duration_seconds_count", { plugin: "a", outcome: "error" }), 1);
  assert.ok(sumOf(s, "corral_db_query_duration_seconds_sum", { plugin: "a" }) >= 0);
});

test("each host has its own registry; the host's process metrics are prefixed", async () => {
  const one = new HostMetrics(() => report([]));
  const two = new HostMetrics(() => report([]));
  one.requestFinished("a", undefined, record());
  const s = parseExposition((await two.scrape()).body);
  assert.is(valueOf(s, "corral_http_requests_total", { plugin: "a" }), undefined);
  assert.type(valueOf(s, "corral_host_process_cpu_user_seconds_total"), "number");
});

test("statusClass", () => {
  assert.is(statusClass(200), "2xx");
  assert.is(statusClass(304), "3xx");
  assert.is(statusClass(599), "5xx");
  assert.is(statusClass(0), "none");
  assert.is(statusClass(700), "none");
});

test.run();
