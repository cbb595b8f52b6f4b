/**
 * The host's Prometheus metrics (prom-client), in a registry of its own per host.
 *
 * Two kinds: what happens per request or statement is counted as it happens (requests, latency,
 * bytes, host error codes, statement durations), by the ExchangeObserver and QueryObserver hooks;
 * everything a plugin's /health entry already holds (state, restarts, memory, CPU, disk, in
 * flight, pool, caches) is read from one health() snapshot when Prometheus scrapes, never kept a
 * second time.
 *
 * Labels are bounded: the plugin's name, the method (the standard ones, else OTHER), the status
 * class, a CORRAL_E_... code, a cache kind. Never a path, an id or a SQLSTATE.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { HealthReport, PluginReport } from "../health.ts";
import type { AccessRecord } from "../http/middleware/access-log.ts";
import type { QueryObserver } from "../db/query-observer.ts";
import { pluginNumbers, type PluginNumbers } from "./plugin-usage.ts";
import { TallyCounter, TallyHistogram, tallyKey } from "./tallies.ts";

const METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Seconds: from a cached answer (~0.1 ms) to the longest request timeout. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60];
/** The plugin label of requests the host answers itself (/health, /admin, unknown paths). */
export const HOST_ROUTES = "";

type Labels<T extends string> = Partial<Record<T, string | number>>;

export class HostMetrics {
  readonly registry = new Registry();
  readonly #health: () => HealthReport;
  /** The health report of the scrape in progress, read by every collect callback. */
  #snapshot: HealthReport | undefined;

  // Updated once per request: plain tallies (tallies.ts), not prom-client's label hashing.
  readonly #requests: TallyCounter;
  readonly #duration: TallyHistogram;
  readonly #hostErrors: TallyCounter;
  readonly #bytesIn: TallyCounter;
  readonly #bytesOut: TallyCounter;
  readonly #queryDuration: Histogram<"plugin" | "outcome">;

  constructor(health: () => HealthReport, options: { readonly processMetrics?: boolean } = {}) {
    this.#health = health;
    const registers = [this.registry];
    this.#requests = new TallyCounter({
      name: "corral_http_requests_total", help: "Requests answered, by plugin (\"\" for the host's own routes), method and status class (none: the client left first).",
      labelNames: ["plugin", "method", "status_class"], registers,
    });
    this.#duration = new TallyHistogram({
      name: "corral_http_request_duration_seconds", help: "From a request's arrival to its response's last byte.",
      labelNames: ["plugin", "method"], buckets: REQUEST_BUCKETS, registers,
    });
    this.#hostErrors = new TallyCounter({
      name: "corral_http_host_errors_total", help: "Requests the host answered with one of its own errors, by CORRAL_E_... code (docs/errors.md).",
      labelNames: ["plugin", "code"], registers,
    });
    this.#bytesIn = new TallyCounter({ name: "corral_http_request_body_bytes_total", help: "Request body bytes received.", labelNames: ["plugin"], registers });
    this.#bytesOut = new TallyCounter({
      name: "corral_http_response_bytes_total", help: "Response bytes written to the connection (status line, headers, body after compression).",
      labelNames: ["plugin"], registers,
    });
    this.#queryDuration = new Histogram({
      name: "corral_db_query_duration_seconds", help: "Statements plugins ran through the host, from arrival to answer (waiting for a connection included); _count is the number of statements.",
      labelNames: ["plugin", "outcome"], buckets: QUERY_BUCKETS, registers,
    });
    this.#healthMetrics(registers);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "corral_host_" });
  }

  /** Counts one finished request (ExchangeObserver.finished). */
  requestFinished(plugin: string | undefined, errorCode: string | undefined, record: AccessRecord): void {
    const name = plugin ?? HOST_ROUTES;
    const method = METHODS.has(record.method) ? record.method : "OTHER";
    const status = statusClass(record.status);
    this.#requests.inc(tallyKey(name, method, status), [name, method, status]);
    this.#duration.observe(tallyKey(name, method), [name, method], record.durationMs / 1000);
    if (record.bytesIn > 0) this.#bytesIn.inc(name, [name], record.bytesIn);
    if (record.bytesOut > 0) this.#bytesOut.inc(name, [name], record.bytesOut);
    if (errorCode !== undefined) this.#hostErrors.inc(tallyKey(name, errorCode), [name, errorCode]);
  }

  /** Times the statements of one plugin (PluginDatabase's observer). */
  queryObserver(plugin: string): QueryObserver {
    return {
      started: () => {
        const end = this.#queryDuration.startTimer({ plugin });
        return (errorCode) => void end({ outcome: errorCode === undefined ? "ok" : "error" });
      },
    };
  }

  /** The exposition text, with its content type; every health-based value from one snapshot. */
  async scrape(): Promise<{ readonly contentType: string; readonly body: string }> {
    this.#snapshot = this.#health();
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.#snapshot = undefined;
    }
  }

  /** Gauges and totals read from /health at scrape time. */
  #healthMetrics(registers: Registry[]): void {
    const plugins = (): PluginNumbers[] => this.#plugins().map(pluginNumbers);
    const fromHealth = <T extends string>(
      kind: "gauge" | "counter", name: string, help: string, labelNames: readonly T[],
      read: (plugin: PluginNumbers) => [Labels<T>, number | null][],
    ) => {
      const collect = function (this: Gauge<T> | Counter<T>) {
        this.reset();
        for (const plugin of plugins()) {
          for (const [labels, value] of read(plugin)) {
            if (value === null) continue;
            if (this instanceof Gauge) this.set({ plugin: plugin.name, ...labels } as Labels<T>, value);
            else this.inc({ plugin: plugin.name, ...labels } as Labels<T>, value);
          }
        }
      };
      const labels = ["plugin", ...labelNames] as T[];
      if (kind === "gauge") new Gauge<T>({ name, help, labelNames: labels, registers, collect });
      else new Counter<T>({ name, help, labelNames: labels, registers, collect });
    };
    const one = (value: number | null): [Labels<never>, number | null][] => [[{}, value]];
    const snapshot = () => this.#snapshotOrNow();
    // Blocked plugins have a state but no process numbers.
    new Gauge({
      name: "corral_plugin_state", help: "1 for the plugin's current state (ready, starting, restarting, failed, stopped, blocked...).",
      labelNames: ["plugin", "state"], registers,
      collect() {
        this.reset();
        for (const plugin of snapshot().plugins) this.set({ plugin: plugin.name, state: plugin.state }, 1);
      },
    });
    fromHealth("counter", "corral_plugin_restarts_total", "Restarts after a crash.", [], (p) => one(p.restarts));
    fromHealth("counter", "corral_plugin_process_starts_total", "Processes started (cold starts): the first start, restarts, later starts.", [], (p) => one(p.processStarts));
    fromHealth("gauge", "corral_plugin_memory_rss_bytes", "Resident memory of the plugin's process tree (sampled every 200 ms).", [], (p) => one(p.rssBytes));
    fromHealth("counter", "corral_plugin_cpu_seconds_total", "User + system CPU time of the plugin's process trees.", [], (p) => one(p.cpuSeconds));
    fromHealth("counter", "corral_plugin_disk_read_bytes_total", "Bytes the plugin's processes read from storage (/proc/PID/io read_bytes).", [], (p) => one(p.diskReadBytes));
    fromHealth("counter", "corral_plugin_disk_write_bytes_total", "Bytes the plugin's processes wrote to storage (/proc/PID/io write_bytes).", [], (p) => one(p.diskWriteBytes));
    fromHealth("gauge", "corral_plugin_requests_in_flight", "Requests handed to the plugin and not yet answered.", [], (p) => one(p.inFlight));
    fromHealth("gauge", "corral_plugin_queue_depth", "Requests waiting for the plugin (when the host queues them).", [], (p) => one(p.queueDepth));
    fromHealth("counter", "corral_plugin_busy_rejections_total", "Requests refused with 503 because the plugin was busy (when the host queues them).", [], (p) => one(p.busyRejections));
    fromHealth("gauge", "corral_plugin_instances", "Processes running for the plugin (when it may run several).", [], (p) => one(p.instances));
    fromHealth("gauge", "corral_db_pool_connections", "The plugin's database connections: size (the pool's maximum), open, idle.", ["state"], (p) =>
      p.database === null ? [] : [[{ state: "size" }, p.database.poolSize], [{ state: "open" }, p.database.poolTotal], [{ state: "idle" }, p.database.poolIdle]]);
    fromHealth("gauge", "corral_db_pool_waiting", "Statements waiting for a free database connection.", [], (p) => one(p.database?.poolWaiting ?? null));
    fromHealth("gauge", "corral_db_open_transactions", "Transactions the plugin holds open.", [], (p) => one(p.database?.openTransactions ?? null));
    fromHealth("gauge", "corral_db_queries_in_flight", "Statements running or waiting, counted against the plugin's maxConcurrentQueries.", [], (p) => one(p.database?.inFlight ?? null));
    this.#cacheMetrics(registers);
  }

  /** Hits, misses, evictions and size of the host cache and the response cache, per plugin. */
  #cacheMetrics(registers: Registry[]): void {
    type CacheRow = { plugin: string; cache: "host" | "response"; hits: number; misses: number; evictions: number; bytes: number; entries: number };
    const rows = (): CacheRow[] => {
      const out: CacheRow[] = [];
      const report = this.#snapshotOrNow();
      for (const c of report.cache?.plugins ?? []) out.push({ plugin: c.name, cache: "host", hits: c.hits, misses: c.misses, evictions: c.evictions, bytes: c.bytes, entries: c.entries });
      for (const p of this.#plugins()) {
        const c = p.responseCache;
        if (c !== undefined) out.push({ plugin: p.name, cache: "response", hits: c.hits, misses: c.misses, evictions: c.evictions, bytes: c.bytes, entries: c.entries });
      }
      return out;
    };
    const define = (kind: "gauge" | "counter", name: string, help: string, field: "hits" | "misses" | "evictions" | "bytes" | "entries") => {
      const labelNames = ["plugin", "cache"] as const;
      const collect = function (this: Gauge<"plugin" | "cache"> | Counter<"plugin" | "cache">) {
        this.reset();
        for (const row of rows()) {
          if (this instanceof Gauge) this.set({ plugin: row.plugin, cache: row.cache }, row[field]);
          else this.inc({ plugin: row.plugin, cache: row.cache }, row[field]);
        }
      };
      if (kind === "gauge") new Gauge({ name, help, labelNames, registers, collect });
      else new Counter({ name, help, labelNames, registers, collect });
    };
    const caches = "cache: host (the plugin's own cache, host/cache/) or response (the host's cache of public answers)";
    define("counter", "corral_cache_hits_total", `Lookups answered from the cache; ${caches}. Hit rate: rate(hits) / (rate(hits) + rate(misses)).`, "hits");
    define("counter", "corral_cache_misses_total", `Lookups the cache had no fresh entry for; ${caches}.`, "misses");
    define("counter", "corral_cache_evictions_total", `Entries dropped to make room; ${caches}.`, "evictions");
    define("gauge", "corral_cache_bytes", `Bytes held; ${caches}.`, "bytes");
    define("gauge", "corral_cache_entries", `Entries held; ${caches}.`, "entries");
  }

  #snapshotOrNow(): HealthReport {
    return this.#snapshot ?? this.#health();
  }

  /** The plugins that have a supervisor (blocked plugins have no process, so no numbers). */
  #plugins(): PluginReport[] {
    return this.#snapshotOrNow().plugins.filter((p): p is PluginReport => "usage" in p);
  }
}

/** 200 -> "2xx"; 0 (no status sent) -> "none". */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "none";
}
