/**
 * The dashboard's charts as inline SVG, drawn on the host from a plugin's request series: no
 * chart library, no script. Only numbers reach the markup (labels are formatted here), so the
 * output needs no escaping.
 */
import type { SeriesPoint } from "../../../metrics/request-series.ts";

const WIDTH = 600;
const HEIGHT = 160;
const PAD = { left: 48, right: 8, top: 10, bottom: 22 };
/** The series' bucket width (host/metrics/request-series.ts). */
export const BUCKET_SECONDS = 10;

interface Line {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

/** Requests per second and errors per second over the series' span. */
export function requestRateChart(points: readonly SeriesPoint[]): string {
  return chart("Requests per second", "req/s", points, [
    { label: "requests/s", color: "#2563eb", values: points.map((p) => p.requests / BUCKET_SECONDS) },
    { label: "errors/s", color: "#dc2626", values: points.map((p) => p.errors / BUCKET_SECONDS) },
  ]);
}

/** Median and 95th percentile latency per bucket, in ms. */
export function latencyChart(points: readonly SeriesPoint[]): string {
  return chart("Latency", "ms", points, [
    { label: "p50", color: "#16a34a", values: points.map((p) => p.p50Ms) },
    { label: "p95", color: "#ea580c", values: points.map((p) => p.p95Ms) },
  ]);
}

function chart(title: string, unit: string, points: readonly SeriesPoint[], lines: readonly Line[]): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const max = niceCeiling(Math.max(0, ...lines.flatMap((l) => l.values.filter(Number.isFinite))));
  const x = (i: number) => PAD.left + (points.length <= 1 ? plotW : (i / (points.length - 1)) * plotW);
  const y = (v: number) => PAD.top + plotH - (Math.min(Math.max(v, 0), max) / max) * plotH;
  const parts: string[] = [
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${title}" xmlns="http://www.w3.org/2000/svg">`,
    `<title>${title}</title>`,
  ];
  for (const fraction of [0, 0.5, 1]) {
    const gy = y(max * fraction).toFixed(1);
    parts.push(`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${gy}" y2="${gy}" stroke="#e5e7eb"/>`,
      `<text x="${PAD.left - 4}" y="${gy}" text-anchor="end" dominant-baseline="middle" font-size="10" fill="#6b7280">${format(max * fraction)}</text>`);
  }
  parts.push(`<text x="4" y="${PAD.top + 2}" font-size="10" fill="#6b7280" dominant-baseline="hanging">${unit}</text>`);
  if (points.length > 0) {
    parts.push(`<text x="${PAD.left}" y="${HEIGHT - 6}" font-size="10" fill="#6b7280">${clock(points[0]!.t)}</text>`,
      `<text x="${WIDTH - PAD.right}" y="${HEIGHT - 6}" font-size="10" fill="#6b7280" text-anchor="end">${clock(points.at(-1)!.t)}</text>`);
  }
  lines.forEach((line, index) => {
    const coords = line.values.map((v, i) => `${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : 0).toFixed(1)}`);
    if (coords.length === 1) coords.unshift(`${PAD.left},${coords[0]!.split(",")[1]}`);
    if (coords.length > 0) parts.push(`<polyline class="series" data-series="${line.label}" fill="none" stroke="${line.color}" stroke-width="1.5" points="${coords.join(" ")}"/>`);
    parts.push(`<text x="${WIDTH - PAD.right - index * 80}" y="${PAD.top}" font-size="10" text-anchor="end" fill="${line.color}">${line.label}</text>`);
  });
  if (points.length === 0) {
    parts.push(`<text x="${PAD.left + plotW / 2}" y="${PAD.top + plotH / 2}" text-anchor="middle" font-size="12" fill="#6b7280">no requests recorded yet</text>`);
  }
  parts.push("</svg>");
  return parts.join("");
}

/** A round number at or above `value` (1, 2, 5 × 10^n), so the axis reads well; 1 for nothing. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1).replace(/\.0$/, "") : value.toFixed(2).replace(/\.?0+$/, "") || "0";
}

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 19);
}
