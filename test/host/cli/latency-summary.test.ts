// Latency percentiles of corral bench: nearest rank over every sample, the input left unsorted.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { latencySummary } from "../../../host/cli/latency-summary.ts";

test("nearest-rank p50, p90, p99, max and mean over 1..100 ms in shuffled order", () => {
  const samples = Float64Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
  const first = samples[0];
  assert.equal(latencySummary(samples), { count: 100, mean: 50.5, p50: 50, p90: 90, p99: 99, max: 100 });
  assert.is(samples[0], first, "the samples are not sorted in place");
});

test("one sample is every percentile; none gives zeros", () => {
  assert.equal(latencySummary(Float64Array.of(0.25)), { count: 1, mean: 0.25, p50: 0.25, p90: 0.25, p99: 0.25, max: 0.25 });
  assert.equal(latencySummary(new Float64Array(0)), { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
});

test.run();
