/**
 * `node --import tsx scripts/bench/instances.ts`: what lazy loading and instances cost and buy.
 *
 * 1. Cold start: a lazy plugin's first request (process start included) against a warm request,
 *    over several idle/wake cycles (idleTimeoutMs 1000).
 * 2. Scaling: a CPU-bound route (each request spins N ms of CPU) under C concurrent clients, with
 *    instances {1,1} and {1,2}: requests per second and p50 latency.
 *
 * Usage: node --import tsx scripts/bench/instances.ts [--cycles N] [--seconds S] [--clients C] [--spin MS]
 * Uses DATABASE_URL when set, else the embedded Postgres.
 */
import { request } from "node:http";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { startHost } from "../../host/host.ts";
import { Logger } from "../../host/logger.ts";

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log("Usage: node --import tsx scripts/bench/instances.ts [--cycles N] [--seconds S] [--clients C] [--spin MS]\n\n" +
    "Cold start of a lazy plugin, and requests/s of a CPU-bound route with one and two instances.");
  process.exit(0);
}
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CYCLES = option("--cycles", 5);
const SECONDS = option("--seconds", 5);
const CLIENTS = option("--clients", 8);
const SPIN_MS = option("--spin", 10);

const MOD = `import { Hono } from "hono";
import { definePlugin } from "@corral/sdk";
const app = new Hono();
app.get("/", (c) => c.text("ok"));
app.get("/spin/:ms", (c) => {
  const until = performance.now() + Number(c.req.param("ms"));
  while (performance.now() < until) { /* CPU */ }
  return c.text("spun");
});
export default definePlugin({ app });
`;

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    }).on("error", reject).end();
  });
}

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const status = await get(url);
  if (status !== 200) throw new Error(`${url}: ${status}`);
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function load(url: string): Promise<{ rps: number; p50: number; refused: number }> {
  const deadline = Date.now() + SECONDS * 1000;
  const latencies: number[] = [];
  let refused = 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < deadline) {
      const started = performance.now();
      const status = await get(url);
      if (status === 200) latencies.push(performance.now() - started);
      else refused++;
    }
  }));
  return { rps: latencies.length / SECONDS, p50: median(latencies), refused };
}

const work = await mkdtemp(join(tmpdir(), "corral-bench-instances-"));
const plugins = join(work, "plugins");
const manifests: Record<string, object> = {
  "bench-lazy": { lazy: true, idleTimeoutMs: 1000 },
  "bench-one": { instances: { min: 1, max: 1 }, limits: { maxConcurrent: 64 } },
  "bench-two": { instances: { min: 1, max: 2 }, limits: { maxConcurrent: 64 } },
};
for (const [name, extra] of Object.entries(manifests)) {
  await mkdir(join(plugins, name), { recursive: true });
  await writeFile(join(plugins, name, "plugin.json"), JSON.stringify({ name, version: "1.0.0", hostApi: "^0.1.0", ...extra }));
  await writeFile(join(plugins, name, "mod.ts"), MOD);
}
await writeFile(join(work, "policy.json"), JSON.stringify({ scaling: { scaleUpQueueDepth: 2, scaleDownIdleMs: 60_000 } }));
const host = await startHost({
  port: 0, hostname: "127.0.0.1", pluginsDir: plugins, dataDir: join(work, "data"), policyFile: join(work, "policy.json"),
  ...(process.env.DATABASE_URL === undefined ? {} : { databaseUrl: process.env.DATABASE_URL }),
  logger: new Logger({ level: "error" }), env: {},
});
try {
  await host.started;
  const state = (name: string) => host.health().plugins.find((p) => p.name === name)?.state;
  const cold: number[] = [];
  const warm: number[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    while (state("bench-lazy") !== "idle") await new Promise((r) => setTimeout(r, 50));
    cold.push(await timed(`${host.url}/plugins/bench-lazy/`));
    for (let i = 0; i < 20; i++) warm.push(await timed(`${host.url}/plugins/bench-lazy/`));
    process.stderr.write(`\rbench: cold start ${cycle + 1}/${CYCLES}`);
  }
  process.stderr.write("\n");
  await load(`${host.url}/plugins/bench-one/spin/${SPIN_MS}`); // warm-up
  const one = await load(`${host.url}/plugins/bench-one/spin/${SPIN_MS}`);
  await load(`${host.url}/plugins/bench-two/spin/${SPIN_MS}`); // warm-up; the second instance starts here
  const two = await load(`${host.url}/plugins/bench-two/spin/${SPIN_MS}`);
  const instances = (host.health().plugins.find((p) => p.name === "bench-two") as { instanceCount?: number }).instanceCount;
  console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}; Node ${process.version}`);
  console.log(`Command: node --import tsx scripts/bench/instances.ts --cycles ${CYCLES} --seconds ${SECONDS} --clients ${CLIENTS} --spin ${SPIN_MS}`);
  console.log("");
  console.log("| measure | value |");
  console.log("|---|---:|");
  console.log(`| lazy plugin, first request after idle (cold start), median of ${CYCLES} | ${median(cold).toFixed(0)} ms (min ${Math.min(...cold).toFixed(0)}, max ${Math.max(...cold).toFixed(0)}) |`);
  console.log(`| same plugin, warm request, median of ${warm.length} | ${median(warm).toFixed(2)} ms |`);
  console.log(`| ${SPIN_MS} ms CPU per request, ${CLIENTS} clients, 1 instance | ${one.rps.toFixed(0)} req/s, p50 ${one.p50.toFixed(0)} ms |`);
  console.log(`| same, instances max 2 (${instances} running) | ${two.rps.toFixed(0)} req/s, p50 ${two.p50.toFixed(0)} ms |`);
} finally {
  await host.close("bench finished");
  await rm(work, { recursive: true, force: true });
}
