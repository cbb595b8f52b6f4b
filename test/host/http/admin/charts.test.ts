/** The dashboard's SVG charts (host/http/admin/dashboard/charts.ts), drawn from a request series. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { latencyChart, niceCeiling, requestRateChart } from "../../../../host/http/admin/dashboard/charts.ts";

const points = [
  { t: Date.UTC(2026, 10, 25, 10, 0, 0), requests: 50, errors: 0, p50Ms: 3, p95Ms: 9 },
  { t: Date.UTC(2026, 10, 25, 10, 0, 10), requests: 100, errors: 10, p50Ms: 4, p95Ms: 40 },
];

/** The y coordinates of one polyline, by its series label. */
function ys(svg: string, series: string): number[] {
  const pointsAttr = new RegExp(`data-series="${series}"[^>]*points="([^"]+)"`).exec(svg)?.[1] ?? "";
  return pointsAttr.split(" ").map((pair) => Number(pair.split(",")[1]));
}

test("request rate: per second over 10 s buckets, a higher rate drawn higher, errors below requests", () => {
  const svg = requestRateChart(points);
  assert.match(svg, /^<svg [^>]*viewBox="0 0 600 160"/);
  const [first, second] = ys(svg, "requests/s");
  assert.ok(second! < first!, "10 req/s is above 5 req/s");
  assert.ok(ys(svg, "errors/s")[1]! > second!, "1 error/s is below 10 req/s");
  assert.match(svg, />10<\/text>/, "the axis tops at 10 req/s");
  assert.match(svg, />10:00:00<\/text>.*>10:00:10<\/text>/);
});

test("latency: p95 above p50; no points says so", () => {
  const svg = latencyChart(points);
  assert.ok(ys(svg, "p95")[1]! < ys(svg, "p50")[1]!);
  assert.match(svg, />50<\/text>/, "axis top: 40 ms rounds up to 50");
  assert.match(latencyChart([]), /no requests recorded yet/);
});

test("axis ceilings are round numbers", () => {
  assert.equal([0, 0.3, 1, 7, 12, 40, 999].map(niceCeiling), [1, 0.5, 1, 10, 20, 50, 1000]);
});

test.run();
