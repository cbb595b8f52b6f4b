/** Latency percentiles of a load test, from every response's own time (not a histogram's buckets). */

/** Milliseconds; all 0 when there were no responses. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * The nearest-rank percentiles of `samples` (milliseconds, any order; not changed).
 *
 * @example
 * ```ts
 * latencySummary(Float64Array.of(3, 1, 2)); // { count: 3, mean: 2, p50: 2, p90: 3, p99: 3, max: 3 }
 * ```
 */
export function latencySummary(samples: Float64Array): LatencySummary {
  const count = samples.length;
  if (count === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number) => sorted[Math.min(count, Math.max(1, Math.ceil((p / 100) * count))) - 1]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count, mean: sum / count, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[count - 1]! };
}
