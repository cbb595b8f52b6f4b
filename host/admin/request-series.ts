/**
 * What the dashboard's charts read: a short rolling series of each plugin's requests, in 10 s
 * buckets. The metrics part (host/metrics/request-series.ts) implements it; this side only
 * names the shape it draws, so the dashboard does not depend on how it is collected.
 */

/** One 10-second bucket. */
export interface SeriesPoint {
  /** The bucket's start, ms since the epoch. */
  readonly t: number;
  readonly requests: number;
  /** Answers with status >= 500 (the metrics part's definition). */
  readonly errors: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
}

export interface RequestSeries {
  /** Oldest first; empty for a plugin without traffic. */
  points(plugin: string): readonly SeriesPoint[];
}

/** Until the metrics part is wired in: no points, and the dashboard says so. */
export const NO_REQUEST_SERIES: RequestSeries = { points: () => [] };
