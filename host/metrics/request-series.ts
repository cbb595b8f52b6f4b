/**
 * A short rolling series of each plugin's requests for the dashboard's charts: 10-second buckets
 * over the last 30 minutes, each with its request and error counts and its median and 95th
 * percentile latency. Prometheus keeps the long history; this is what the host can draw on its
 * own, without one.
 *
 * Memory is bounded: per plugin, 180 closed buckets of five numbers, plus the open bucket's
 * latency samples (at most SAMPLES_PER_BUCKET; past that, a uniform reservoir sample, so the
 * percentiles stay estimates of the whole bucket).
 */

/** One 10-second bucket, as the dashboard draws it. */
export interface SeriesPoint {
  /** The bucket's start, ms since the epoch. */
  readonly t: number;
  readonly requests: number;
  /** Answers with status >= 500, and requests that got no status at all (the client left first). */
  readonly errors: number;
  /** Median latency in ms (0 for a bucket without requests). */
  readonly p50Ms: number;
  /** 95th percentile latency in ms (0 for a bucket without requests). */
  readonly p95Ms: number;
}

export interface RequestSeries {
  /**
   * Oldest first, one point per bucket from the plugin's first request within the window to the
   * current bucket, buckets without requests included (as zeros) so the time axis is even;
   * empty for a plugin without traffic in the window.
   */
  points(plugin: string): readonly SeriesPoint[];
}

export const BUCKET_MS = 10_000;
export const WINDOW_MS = 30 * 60_000;
/** Latency samples kept for the open bucket; beyond this, reservoir sampling. */
export const SAMPLES_PER_BUCKET = 1024;

const BUCKETS = WINDOW_MS / BUCKET_MS;

/** The open bucket of one plugin. */
interface OpenBucket {
  t: number;
  requests: number;
  errors: number;
  readonly samples: Float64Array;
}

interface PluginSeries {
  /** Closed buckets, oldest first, within the window (buckets without requests are not stored). */
  readonly closed: SeriesPoint[];
  open: OpenBucket;
}

export class RollingRequestSeries implements RequestSeries {
  readonly #plugins = new Map<string, PluginSeries>();
  readonly #now: () => number;
  readonly #random: () => number;

  /** @param now the clock in ms since the epoch (tests); @param random for reservoir sampling (tests). */
  constructor(now: () => number = Date.now, random: () => number = Math.random) {
    this.#now = now;
    this.#random = random;
  }

  /** Counts one finished request of `plugin`: its status (0: none was sent) and duration. */
  record(plugin: string, status: number, durationMs: number): void {
    const t = bucketStart(this.#now());
    let series = this.#plugins.get(plugin);
    if (series === undefined) {
      series = { closed: [], open: newBucket(t) };
      this.#plugins.set(plugin, series);
    } else if (series.open.t !== t) {
      this.#close(series, t);
    }
    const open = series.open;
    if (open.requests < SAMPLES_PER_BUCKET) {
      open.samples[open.requests] = durationMs;
    } else {
      // Algorithm R: each of the bucket's requests is in the sample with equal probability.
      const slot = Math.floor(this.#random() * (open.requests + 1));
      if (slot < SAMPLES_PER_BUCKET) open.samples[slot] = durationMs;
    }
    open.requests++;
    if (status >= 500 || status === 0) open.errors++;
  }

  points(plugin: string): readonly SeriesPoint[] {
    const series = this.#plugins.get(plugin);
    if (series === undefined) return [];
    const current = bucketStart(this.#now());
    const oldest = current - (BUCKETS - 1) * BUCKET_MS;
    const byStart = new Map<number, SeriesPoint>();
    for (const point of series.closed) if (point.t >= oldest) byStart.set(point.t, point);
    if (series.open.requests > 0 && series.open.t >= oldest) byStart.set(series.open.t, summarize(series.open));
    if (byStart.size === 0) return [];
    const first = Math.min(...byStart.keys());
    const out: SeriesPoint[] = [];
    for (let t = first; t <= current; t += BUCKET_MS) out.push(byStart.get(t) ?? { t, requests: 0, errors: 0, p50Ms: 0, p95Ms: 0 });
    return out;
  }

  /** Forgets a plugin (uninstalled). */
  drop(plugin: string): void {
    this.#plugins.delete(plugin);
  }

  #close(series: PluginSeries, nextStart: number): void {
    if (series.open.requests > 0) series.closed.push(summarize(series.open));
    const oldest = nextStart - (BUCKETS - 1) * BUCKET_MS;
    let expired = 0;
    while (expired < series.closed.length && series.closed[expired]!.t < oldest) expired++;
    if (expired > 0) series.closed.splice(0, expired);
    series.open.t = nextStart;
    series.open.requests = 0;
    series.open.errors = 0;
  }
}

function bucketStart(ms: number): number {
  return ms - (ms % BUCKET_MS);
}

function newBucket(t: number): OpenBucket {
  return { t, requests: 0, errors: 0, samples: new Float64Array(SAMPLES_PER_BUCKET) };
}

function summarize(bucket: OpenBucket): SeriesPoint {
  const sorted = bucket.samples.slice(0, Math.min(bucket.requests, SAMPLES_PER_BUCKET)).sort();
  return { t: bucket.t, requests: bucket.requests, errors: bucket.errors, p50Ms: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95) };
}

/** The nearest-rank quantile of sorted samples, rounded to microseconds; 0 for none. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return Math.round(sorted[rank - 1]! * 1000) / 1000;
}

/** For a dashboard without the metrics part (tests): no points, and the charts say so. */
export const NO_REQUEST_SERIES: RequestSeries = { points: () => [] };
