/**
 * `npm run bench:middleware`: what the host's HTTP middleware (host/http/middleware/) costs per
 * request on the host's main thread, which is the forwarding path's bottleneck. One process
 * serves the same instant stand-in plugin three ways, and wrk loads each in turn, interleaved:
 *   (plain)  the forwarding route as it was before the middleware: forward() with no Exchange;
 *   (mw)     the host's real app (host/http/app.ts) behind HostMiddleware, default policy;
 *   (nolog)  the same with the access log off (`"http": { "accessLog": false }`);
 *   (hit)    the same, for an answer the response cache holds (public, max-age).
 * It reports requests/s and the host's CPU time per request (process.cpuUsage / requests), which
 * holds up better than requests/s on a machine where other work competes for the cores.
 *
 * Usage: npm run bench:middleware [-- --runs N --seconds S]   (needs wrk: apt-get install -y wrk)
 */
import { spawn } from "node:child_process";
import { openSync, writeSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAdaptorServer } from "@hono/node-server";
import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono } from "hono";
import { createApp } from "../../host/http/app.ts";
import { forward } from "../../host/http/forward.ts";
import { HostMiddleware } from "../../host/http/middleware/host-middleware.ts";
import { defaultHttpPolicy } from "../../host/http/middleware/http-policy.ts";
import { Logger } from "../../host/logger.ts";
import type { Supervisor } from "../../host/supervisor.ts";
import type { ResponseMessage } from "../../schemas/messages.ts";

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log("Usage: npm run bench:middleware [-- --runs N --seconds S]\nNeeds wrk: apt-get install -y wrk");
  process.exit(0);
}
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = option("--runs", 5);
const SECONDS = option("--seconds", 3);
const here = dirname(fileURLToPath(import.meta.url));

// The access log is written as in production (batched lines), to /dev/null.
const devNull = openSync("/dev/null", "w");
let pending: string[] = [];
const log = new Logger({
  level: "info",
  sink: (line) => {
    if (pending.push(line) === 1) setImmediate(() => {
      writeSync(devNull, pending.join("\n") + "\n");
      pending = [];
    });
  },
});

/** A plugin that answers at once, like the bench plugin's "Hello, World!" and JSON echo. */
function standIn(cacheable: boolean): Supervisor {
  const headers = "content-type\ntext/plain; charset=UTF-8\n" + (cacheable ? "cache-control\npublic, max-age=3600\n" : "");
  const stub = {
    grants: { maxBodyBytes: 1024 * 1024 },
    handle: (request: { method: string; body: Uint8Array }): Promise<ResponseMessage> =>
      new Promise((resolve) => setImmediate(() => resolve({
        type: "response", id: 0, status: 200, headers,
        body: request.method === "POST" ? request.body : new TextEncoder().encode("Hello, World!"),
      }))),
  };
  return stub as unknown as Supervisor;
}

function plainServer(): Server {
  const plugin = standIn(false);
  const app = new Hono<{ Bindings: HttpBindings }>();
  const toPlugin = async (c: { req: { param(name: "name"): string }; env: HttpBindings }) => {
    await forward(c.req.param("name"), c.env.incoming, c.env.outgoing, () => plugin, log);
    return RESPONSE_ALREADY_SENT;
  };
  app.all("/plugins/:name", toPlugin);
  app.all("/plugins/:name/*", toPlugin);
  return createAdaptorServer({ fetch: app.fetch }) as Server;
}

function middlewareServer(cacheable: boolean, policy = defaultHttpPolicy()): Server {
  const plugin = standIn(cacheable);
  const app = createApp({
    lookup: () => plugin,
    health: () => { throw new Error("not in this benchmark"); },
    log,
    adminToken: "x".repeat(32),
    uninstall: () => Promise.resolve(undefined),
    inFlight: { count: 0 },
    isShuttingDown: () => false,
  });
  const middleware = new HostMiddleware({ policy, log });
  return createAdaptorServer({ fetch: middleware.wrap(app.fetch) }) as Server;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function wrk(url: string, post: boolean, seconds: number): Promise<{ requests: number; rps: number }> {
  return new Promise((resolve, reject) => {
    const argv = ["-t1", "-c50", `-d${seconds}s`, ...(post ? ["-s", join(here, "post-1k.lua")] : []), url];
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

async function measure(url: string, post: boolean): Promise<{ rps: number; cpuUs: number }> {
  const before = process.cpuUsage();
  const { requests, rps } = await wrk(url, post, SECONDS);
  const used = process.cpuUsage(before);
  return { rps, cpuUs: (used.user + used.system) / requests };
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

const servers = {
  plain: plainServer(),
  mw: middlewareServer(false),
  nolog: middlewareServer(false, { ...defaultHttpPolicy(), accessLog: false }),
  hit: middlewareServer(true),
};
const ports = { plain: await listen(servers.plain), mw: await listen(servers.mw), nolog: await listen(servers.nolog), hit: await listen(servers.hit) };
const scenarios = [
  { name: "GET", post: false, targets: ["plain", "mw", "nolog", "hit"] as const },
  { name: "POST 1 KB JSON", post: true, targets: ["plain", "mw", "nolog"] as const },
];
const results = new Map<string, Array<{ rps: number; cpuUs: number }>>();
for (const scenario of scenarios) {
  for (const target of scenario.targets) await wrk(`http://127.0.0.1:${ports[target]}/plugins/bench/`, scenario.post, 1); // warm-up
  for (let run = 0; run < RUNS; run++) {
    for (const target of scenario.targets) {
      const key = `${scenario.name}|${target}`;
      results.set(key, [...(results.get(key) ?? []), await measure(`http://127.0.0.1:${ports[target]}/plugins/bench/`, scenario.post)]);
      process.stderr.write(".");
    }
  }
}
process.stderr.write("\n");

const labels = {
  plain: "(plain) forward() without middleware",
  mw: "(mw) with the host middleware",
  nolog: "(nolog) with the middleware, access log off",
  hit: "(hit) with the middleware, answered from the response cache",
};
const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}; Node ${process.version}`,
  `Command: npm run bench:middleware -- --runs ${RUNS} --seconds ${SECONDS} (wrk -t1 -c50, medians of ${RUNS} interleaved runs)`,
  "",
  "| scenario | target | req/s | host CPU µs per request |",
  "|---|---|---:|---:|",
];
for (const scenario of scenarios) {
  for (const target of scenario.targets) {
    const samples = results.get(`${scenario.name}|${target}`)!;
    lines.push(`| ${scenario.name} | ${labels[target]} | ${Math.round(median(samples.map((s) => s.rps)))} | ${median(samples.map((s) => s.cpuUs)).toFixed(1)} |`);
  }
}
console.log(lines.join("\n"));
for (const server of Object.values(servers)) server.close();
process.exit(0);
