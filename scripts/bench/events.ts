/**
 * The cost of events and extension points: what `ctx.events.emit` costs the emitter, how many
 * events per second reach a subscriber in another process, and what a gathering over two
 * contributors costs the owner.
 *
 * Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx scripts/bench/events.ts [-- --n 2000]
 * (The host needs its database even though these plugins have none.)
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHost } from "../../host/host.ts";
import { Logger } from "../../host/logger.ts";

const HELP = `Usage: DATABASE_URL=... node --import tsx scripts/bench/events.ts [-- --n N]

Median of 5 rounds:
(a) N sequential awaited ctx.events.emit() with no subscriber, µs per emit;
(b) the same with one subscriber in another process, µs per emit (the emitter never waits for delivery);
(c) N emits, then the time until the subscriber handled all N, events per second delivered;
(d) N/4 sequential ctx.extensions.gather() over two contributors, µs per gathering.`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h") || !process.env.DATABASE_URL) {
  console.log(HELP);
  process.exit(args.includes("--help") || args.includes("-h") ? 0 : 64);
}
const n = Number(args[args.indexOf("--n") + 1] ?? 0) || 2000;

const plugins: Record<string, { manifest: object; source: string }> = {
  "bench-emitter": {
    manifest: { events: { emits: ["bench.lonely", "bench.tick"] }, extensionPoints: { "bench.menu": { timeoutMs: 5000 } } },
    source: `
import { Hono } from "hono";
import { definePlugin, type PluginEnv } from "@corral/sdk";
const app = new Hono<PluginEnv>();
async function timed(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await one(i);
  return ((performance.now() - started) * 1000) / n;
}
app.get("/emit/:name/:n", async (c) => c.json({ us: await timed(Number(c.req.param("n")), (i) => c.env.events.emit(c.req.param("name"), { i })) }));
app.get("/gather/:n", async (c) => c.json({ us: await timed(Number(c.req.param("n")), () => c.env.extensions.gather("bench.menu", {})) }));
export default definePlugin({ app });
`,
  },
  "bench-subscriber": {
    manifest: { events: { subscribes: ["bench.tick"], queueSize: 10000 }, contributes: ["bench.menu"] },
    source: `
import { Hono } from "hono";
import { definePlugin } from "@corral/sdk";
let count = 0;
const app = new Hono();
app.get("/count", (c) => c.json({ count }));
export default definePlugin({ app, events: { "bench.tick": () => void count++ }, contributions: { "bench.menu": () => ({ label: "a" }) } });
`,
  },
  "bench-contributor": {
    manifest: { contributes: ["bench.menu"] },
    source: `
import { Hono } from "hono";
import { definePlugin } from "@corral/sdk";
export default definePlugin({ app: new Hono(), contributions: { "bench.menu": () => ({ label: "b" }) } });
`,
  },
};

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "corral-bench-events-"));
  for (const [name, { manifest, source }] of Object.entries(plugins)) {
    await mkdir(join(work, "plugins", name), { recursive: true });
    await writeFile(join(work, "plugins", name, "plugin.json"), JSON.stringify({ name, version: "1.0.0", hostApi: "^0.1.0", ...manifest }));
    await writeFile(join(work, "plugins", name, "mod.ts"), source);
  }
  const host = await startHost({
    port: 0,
    hostname: "127.0.0.1",
    pluginsDir: join(work, "plugins"),
    dataDir: join(work, "data"),
    databaseUrl: process.env.DATABASE_URL,
    logger: new Logger({ level: "warn", sink: (line) => console.error(line) }),
    env: {},
  });
  try {
    await host.started;
    const lonely: number[] = [];
    const tick: number[] = [];
    const throughput: number[] = [];
    const gather: number[] = [];
    let delivered = 0;
    for (let round = 0; round < 5; round++) {
      lonely.push(await get<{ us: number }>(host.url, `bench-emitter/emit/bench.lonely/${n}`).then((r) => r.us));
      const started = performance.now();
      tick.push(await get<{ us: number }>(host.url, `bench-emitter/emit/bench.tick/${n}`).then((r) => r.us));
      delivered += n;
      while ((await get<{ count: number }>(host.url, "bench-subscriber/count")).count < delivered) await new Promise((r) => setTimeout(r, 2));
      throughput.push(n / ((performance.now() - started) / 1000));
      gather.push(await get<{ us: number }>(host.url, `bench-emitter/gather/${Math.round(n / 4)}`).then((r) => r.us));
    }
    const line = (label: string, value: number, unit: string) => console.log(`${label.padEnd(60)} ${value.toFixed(0).padStart(7)} ${unit}`);
    console.log(`${n} events per round, median of 5 rounds:`);
    line("(a) emit, no subscriber, per emit", median(lonely), "µs");
    line("(b) emit, one subscriber, per emit", median(tick), "µs");
    line("(c) delivered to the subscriber (emit start to last handled)", median(throughput), "events/s");
    line("(d) gather over two contributors, per gathering", median(gather), "µs");
    const health = host.health() as unknown as { events: { subscribers: Record<string, object> } };
    console.log("subscriber counters:", JSON.stringify(health.events.subscribers["bench-subscriber"]));
  } finally {
    await host.close("bench finished");
    await rm(work, { recursive: true, force: true });
  }
}

async function get<T>(url: string, path: string): Promise<T> {
  const res = await fetch(`${url}/plugins/${path}`);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return await res.json() as T;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

await main();
