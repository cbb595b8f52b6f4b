/** wrk for the benchmark scripts: one run, parsed into requests/s and p50/p99 latency. */
import { spawnSync } from "node:child_process";

export interface Sample {
  /** Requests completed in the run. */
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Exits with a message when wrk is not installed. */
export function requireWrk(): void {
  if (spawnSync("wrk", ["--version"]).error) {
    console.error("bench: wrk is not installed; run: apt-get install -y wrk");
    process.exit(1);
  }
}

/** Runs wrk against `url` (GET, or with `script`), throwing on errors or non-2xx answers. */
export function wrk(url: string, connections: number, seconds: number, script?: string): Sample {
  const argv = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", ...(script === undefined ? [] : ["-s", script]), url];
  const run = spawnSync("wrk", argv, { encoding: "utf8" });
  const out = run.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (errors !== undefined || !Number.isFinite(rps)) throw new Error(`wrk ${argv.join(" ")} failed (status ${run.status}, signal ${run.signal}):\n${out}\n${run.stderr}`);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return { requests, rps, p50Ms: toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ""), p99Ms: toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "") };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function toMs(value: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(value);
  if (m === null) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}
