/**
 * `npm run bench:telemetry`: what metrics and traces (host/metrics/, host/tracing/) cost per
 * request on the host's main thread. One process serves the host's real app behind HostMiddleware
 * with an instant stand-in plugin four ways, and wrk loads each in turn, interleaved:
 *   (mw)       the middleware without telemetry (as before this feature);
 *   (metrics)  with HostTelemetry: Prometheus counters, latency histogram, request series; tracing off;
 *   (dropped)  the same with tracing on, spans made and batched, then dropped by the exporter;
 *   (otlp)     the same with tracing on, spans sent over OTLP/HTTP to a collector stand-in in a child process.
 * It reports requests/s and the host's CPU time per request (process.cpuUsage / requests).
 *
 * Usage: npm run bench:telemetry [-- --runs N --seconds S]   (needs wrk: apt-get install -y wrk)
 */
import { spawn } from "node:child_process";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus } from "node:os";
import { createAdaptorServer } from "@hono/node-server";
import { ExportResultCode } from "@opentelemetry/core";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { createApp } from "../../host/http/app.ts";
import { HostMiddleware } from "../../host/http/middleware/host-middleware.ts";
import { defaultHttpPolicy } from "../../host/http/middleware/http-policy.ts";
import { Logger } from "../../host/logger.ts";
import { HostTelemetry } from "../../host/metrics/telemetry.ts";
import type { Supervisor } from "../../host/supervisor.ts";
import type { ResponseMessage } from "../../schemas/messages.ts";

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log("Usage: npm run bench:telemetry [-- --runs N --seconds S]\nNeeds wrk: apt-get install -y wrk");
  process.exit(0);
}
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = option("--runs", 5);
const SECONDS = option("--seconds", 3);
const log = new Logger({ level: "error", sink: () => undefined });

const plugin = {
  grants: { maxBodyBytes: 1024 * 1024 },
  handle: (): Promise<ResponseMessage> => new Promise((resolve) => setImmediate(() => resolve({
    type: "response", id: 0, status: 200, headers: "content-type\ntext/plain; charset=UTF-8\n", body: new TextEncoder().encode("Hello, World!"),
  }))),
} as unknown as Supervisor;

const dropSpans: SpanExporter = { export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: () => Promise.resolve() };

/** A collector stand-in in its own process: reads each OTLP request and answers 200. */
async function startCollector(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ["-e", `
    const server = require("node:http").createServer((req, res) => { req.resume(); req.on("end", () => res.end("{}")); });
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));
  `], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve) => child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

function server(telemetry: HostTelemetry | undefined): Server {
  const app = createApp({
    lookup: () => plugin,
    health: () => { throw new Error("not in this benchmark"); },
    log,
    adminToken: "x".repeat(32),
    uninstall: () => Promise.resolve(undefined),
    inFlight: { count: 0 },
    isShuttingDown: () => false,
    ...(telemetry === undefined ? {} : { telemetry }),
  });
  const middleware = new HostMiddleware({ policy: { ...defaultHttpPolicy(), accessLog: false }, log, ...(telemetry === undefined ? {} : { observer: telemetry }) });
  return createAdaptorServer({ fetch: middleware.wrap(app.fetch) }) as Server;
}

async function listen(s: Server): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return (s.address() as AddressInfo).port;
}

function wrk(url: string, seconds: number): Promise<{ requests: number; rps: number }> {
  return new Promise((resolve, reject) => {
    const argv = ["-t1", "-c50", `-d${seconds}s`, url];
    const child = spawn("wrk", argv, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", () => reject(new Error("bench: wrk is not installed; run: apt-get install -y wrk")));
    child.on("exit", () => {
      const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      if (!Number.isFinite(requests) || /Non-2xx/.test(out)) reject(new Error(`wrk ${argv.join(" ")} failed:\n${out}`));
      else resolve({ requests, rps });
    });
  });
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const health = () => { throw new Error("not in this benchmark"); };
const collector = await startCollector();
const telemetries = {
  metrics: new HostTelemetry({ health, env: {}, hostVersion: "bench" }),
  dropped: new HostTelemetry({ health, env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://unused:4318" }, hostVersion: "bench", spanExporter: dropSpans }),
  otlp: new HostTelemetry({ health, env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }, hostVersion: "bench" }),
};
const servers = { mw: server(undefined), metrics: server(telemetries.metrics), dropped: server(telemetries.dropped), otlp: server(telemetries.otlp) };
const targets = ["mw", "metrics", "dropped", "otlp"] as const;
const ports = Object.fromEntries(await Promise.all(targets.map(async (t) => [t, await listen(servers[t])] as const))) as Record<typeof targets[number], number>;
const results = new Map<string, Array<{ rps: number; cpuUs: number }>>();
for (const target of targets) await wrk(`http://127.0.0.1:${ports[target]}/plugins/bench/`, 1); // warm-up
for (let run = 0; run < RUNS; run++) {
  for (const target of targets) {
    const before = process.cpuUsage();
    const { requests, rps } = await wrk(`http://127.0.0.1:${ports[target]}/plugins/bench/`, SECONDS);
    const used = process.cpuUsage(before);
    results.set(target, [...(results.get(target) ?? []), { rps, cpuUs: (used.user + used.system) / requests }]);
    process.stderr.write(".");
  }
}
process.stderr.write("\n");
const labels = {
  mw: "(mw) middleware, no telemetry",
  metrics: "(metrics) + metrics and request series, tracing off",
  dropped: "(dropped) + tracing, spans dropped by the exporter",
  otlp: "(otlp) + tracing, OTLP/HTTP to a local collector",
};
const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}; Node ${process.version}`,
  `Command: npm run bench:telemetry -- --runs ${RUNS} --seconds ${SECONDS} (wrk -t1 -c50 GET, access log off, medians of ${RUNS} interleaved runs)`,
  "",
  "| target | req/s | host CPU µs per request |",
  "|---|---:|---:|",
  ...targets.map((t) => `| ${labels[t]} | ${Math.round(median(results.get(t)!.map((s) => s.rps)))} | ${median(results.get(t)!.map((s) => s.cpuUs)).toFixed(1)} |`),
];
console.log(lines.join("\n"));
for (const s of Object.values(servers)) s.close();
await Promise.all(Object.values(telemetries).map((t) => t.close()));
collector.stop();
process.exit(0);
