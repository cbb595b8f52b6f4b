/** Tests for the dashboard's rolling request series: buckets, percentiles, the window, bounded memory. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BUCKET_MS, quantile, RollingRequestSeries, SAMPLES_PER_BUCKET, WINDOW_MS } from "../../../host/metrics/request-series.ts";

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

function clock(start = T0) {
  const c = { now: start, fn: () => c.now };
  return c;
}

test("a plugin without requests has no points", () => {
  assert.equal(new RollingRequestSeries().points("nobody"), []);
});

test("requests in one bucket: count, 5xx and aborted ones as errors, nearest-rank p50 and p95", () => {
  const c = clock(T0 + 3_000);
  const series = new RollingRequestSeries(c.fn);
  for (let ms = 1; ms <= 100; ms++) series.record("a", ms === 100 ? 502 : ms === 99 ? 0 : 200, ms);
  series.record("a", 404, 1000); // a client error is not an error of the plugin
  assert.equal(series.points("a"), [{ t: T0, requests: 101, errors: 2, p50Ms: 51, p95Ms: 96 }]);
  assert.equal(series.points("b"), [], "per plugin");
});

test("buckets are 10 s wide, oldest first, and quiet buckets in between are zeros", () => {
  const c = clock();
  const series = new RollingRequestSeries(c.fn);
  series.record("a", 200, 4);
  c.now += 2 * BUCKET_MS + 1;
  series.record("a", 500, 8);
  c.now += BUCKET_MS;
  assert.equal(series.points("a"), [
    { t: T0, requests: 1, errors: 0, p50Ms: 4, p95Ms: 4 },
    { t: T0 + BUCKET_MS, requests: 0, errors: 0, p50Ms: 0, p95Ms: 0 },
    { t: T0 + 2 * BUCKET_MS, requests: 1, errors: 1, p50Ms: 8, p95Ms: 8 },
    { t: T0 + 3 * BUCKET_MS, requests: 0, errors: 0, p50Ms: 0, p95Ms: 0 },
  ]);
});

test("only the last 30 minutes are kept; a plugin quiet for longer has no points", () => {
  const c = clock();
  const series = new RollingRequestSeries(c.fn);
  series.record("a", 200, 1);
  c.now += 10 * 60_000;
  series.record("a", 200, 2);
  c.now += WINDOW_MS - 5 * 60_000;
  const points = series.points("a");
  assert.is(points.length, WINDOW_MS / BUCKET_MS - (5 * 60_000) / BUCKET_MS + 1);
  assert.is(points[0]!.t, T0 + 10 * 60_000, "the first bucket fell out of the window");
  assert.is(points.reduce((n, p) => n + p.requests, 0), 1);
  c.now += WINDOW_MS;
  assert.equal(series.points("a"), []);
  series.record("a", 200, 3);
  assert.is(series.points("a").length, 1);
});

test("past the sample cap, the percentiles come from a uniform sample of the whole bucket", () => {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const series = new RollingRequestSeries(() => T0, random);
  const n = SAMPLES_PER_BUCKET * 10;
  for (let i = 0; i < n; i++) series.record("a", 200, i < n / 2 ? 1 : 100);
  const [point] = series.points("a");
  assert.is(point!.requests, n);
  // Half the requests took 1 ms, half 100 ms: a sample of the first 1024 alone would say p95 = 1.
  assert.is(point!.p95Ms, 100);
});

test("drop forgets a plugin", () => {
  const series = new RollingRequestSeries(() => T0);
  series.record("a", 200, 1);
  series.drop("a");
  assert.equal(series.points("a"), []);
});

test("quantile: nearest rank, 0 for no samples", () => {
  assert.is(quantile(new Float64Array([]), 0.5), 0);
  assert.is(quantile(new Float64Array([7]), 0.95), 7);
  assert.is(quantile(new Float64Array([1, 2, 3, 4]), 0.5), 2);
  assert.is(quantile(new Float64Array([1, 2, 3, 4]), 0.95), 4);
});

test.run();
