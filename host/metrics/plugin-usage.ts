/**
 * The numbers a scrape reads off one plugin's /health entry, in one place: what the supervisor,
 * its database and the caches report, picked out by name. When a plugin's entry grows (instances,
 * queue depth, busy rejections), this is the one function to extend.
 */
import type { PluginReport } from "../health.ts";

/** A plugin's gauges and running totals at one moment; null where the plugin has no such thing. */
export interface PluginNumbers {
  readonly name: string;
  readonly state: string;
  readonly restarts: number;
  readonly processStarts: number;
  readonly rssBytes: number | null;
  readonly cpuSeconds: number;
  readonly diskReadBytes: number;
  readonly diskWriteBytes: number;
  readonly inFlight: number;
  /** Requests waiting for a free slot (a queue in front of the plugin), when the host has one. */
  readonly queueDepth: number | null;
  /** Requests refused because the plugin was busy (503 CORRAL_E_PLUGIN_BUSY), when the host has a queue. */
  readonly busyRejections: number | null;
  /** Processes running for the plugin, when it may run several. */
  readonly instances: number | null;
  readonly database: DatabaseNumbers | null;
  readonly responseCache: CacheNumbers | null;
}

export interface DatabaseNumbers {
  readonly poolSize: number;
  readonly poolTotal: number;
  readonly poolIdle: number;
  readonly poolWaiting: number;
  readonly openTransactions: number;
  readonly inFlight: number;
}

export interface CacheNumbers {
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly entries: number;
  readonly bytes: number;
}

export function pluginNumbers(report: PluginReport): PluginNumbers {
  const extra = report as unknown as Record<string, unknown>;
  return {
    name: report.name,
    state: report.state,
    restarts: report.restarts,
    processStarts: report.usage.processStarts,
    rssBytes: report.rssBytes,
    cpuSeconds: report.usage.cpuSeconds,
    diskReadBytes: report.usage.diskReadBytes,
    diskWriteBytes: report.usage.diskWriteBytes,
    inFlight: report.inFlight,
    // Added by the instance pool (feat/instances: queueDepth, busyRejections, instanceCount); absent with one plain supervisor.
    queueDepth: numberOrNull(extra.queueDepth),
    busyRejections: numberOrNull(extra.busyRejections),
    instances: numberOrNull(extra.instanceCount),
    database: databaseNumbers(report.database),
    responseCache: report.responseCache === undefined ? null : report.responseCache,
  };
}

function databaseNumbers(database: object | null): DatabaseNumbers | null {
  if (database === null) return null;
  const d = database as Record<string, unknown>;
  const n = (key: string) => (typeof d[key] === "number" ? d[key] as number : 0);
  return {
    poolSize: n("poolSize"),
    poolTotal: n("poolTotal"),
    poolIdle: n("poolIdle"),
    poolWaiting: n("poolWaiting"),
    openTransactions: n("openTransactions"),
    inFlight: n("inFlight"),
  };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}
