/**
 * `npm run bench`: every benchmark of issue 7 in ONE run, printed as Markdown and written into
 * docs/benchmarks.md's first section (between its `bench:results` markers).
 *  1. Forwarding: the same trivial Hono app (GET / and a 1 KB JSON POST echo) served (a) directly
 *     by Hono on Node, (b) by Deno.serve, (c) through an undici reverse proxy in Node to (b), and
 *     (d) through Corral; wrk measures requests/s and p50/p99 latency at 1 and 50 connections, and
 *     /proc the CPU time each server's processes spend per request; then the ratios d/a and d/c.
 *  2. Cold start of a plugin (spawn to ready) against a bare `deno run` of an empty module.
 *  3. Idle RSS per plugin and the host's RSS with 50 plugins.
 *  4. A database round trip through the sandbox against direct pg (needs DATABASE_URL).
 *  5. Codec encode + decode per message: the fast path against capnp-ts / capnp-es.
 *
 * Usage: npm run bench [-- --quick] [-- --runs N] [-- --seconds S] [-- --no-write]
 * Needs wrk (apt-get install -y wrk). Uses DATABASE_URL when set, else the embedded Postgres.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolveDenoBinary } from "../../host/runtime-paths.ts";
import { measureCodec } from "./codec.ts";
import { treeCpuMs } from "./cpu.ts";
import { measureDbRoundtrip } from "./db-roundtrip.ts";
import { writeResults } from "./report.ts";
import { measureColdStart, measureMemory } from "./startup.ts";

const HELP = `Usage: npm run bench [-- --quick | --runs N --seconds S] [--no-write]

Runs wrk against four servers of the same app: (a) Hono on Node, (b) Deno.serve,
(c) an undici proxy in Node to (b), (d) Corral. Prints requests/s, p50/p99 latency and CPU per
request at 1 and 50 connections for GET and a 1 KB JSON POST, and the ratios d/a and d/c
(medians of N runs). Then: plugin cold start against bare deno run, idle RSS per plugin, host RSS
with 50 plugins, a database round trip through the sandbox against direct pg (with DATABASE_URL),
and the codec's encode + decode time per message.
  --quick      1 run of 2 s per target, fewer cold starts, 10 plugins for memory, fewer statements
  --runs N     wrk runs per target (median), default 3
  --seconds S  seconds per wrk run, default 5
  --no-write   print only; do not update docs/benchmarks.md
Needs wrk: apt-get install -y wrk`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const quick = args.includes("--quick");
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = option("--runs", quick ? 1 : 3);
const SECONDS = option("--seconds", quick ? 2 : 5);
const WRITE = !args.includes("--no-write");

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
if (spawnSync("wrk", ["--version"]).error) {
  console.error("bench: wrk is not installed; run: apt-get install -y wrk");
  process.exit(1);
}

interface Target {
  readonly key: "a" | "b" | "c" | "d" | "e";
  readonly label: string;
  readonly port: number;
  readonly prefix: string;
}
const TARGETS: Target[] = [
  { key: "a", label: "Hono on Node (direct)", port: 19001, prefix: "" },
  { key: "b", label: "Deno.serve (direct)", port: 19002, prefix: "" },
  { key: "c", label: "undici proxy (Node -> Deno)", port: 19003, prefix: "" },
  { key: "d", label: "Corral (Node host -> Deno plugin)", port: 19004, prefix: "/plugins/bench" },
  // Not a target of the issue: the floor of the design (servers/floor-host.ts), to read (d) against.
  { key: "e", label: "floor: Hono host -> Deno over fd 3, Corral's codec, no duties", port: 19006, prefix: "" },
];

const children: ChildProcess[] = [];
/**
 * Starts a server with its output going to a file, as a service manager would: a pipe to this
 * process would fill while spawnSync(wrk) blocks it, and a full pipe blocks the host's (sync)
 * stdout writes, which would measure this harness instead of the host's access log.
 */
function start(command: string, argv: string[], env: Record<string, string> = {}): Promise<void> {
  const logFile = join(logDir, `${children.length}.log`);
  const fd = openSync(logFile, "w");
  const child = spawn(command, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  children.push(child);
  return new Promise((resolveStart, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = setInterval(() => {
      const output = readFileSync(logFile, "utf8");
      if (/listening|plugins started/.test(output)) {
        clearInterval(poll);
        resolveStart();
      } else if (Date.now() > deadline || child.exitCode !== null) {
        clearInterval(poll);
        reject(new Error(`${argv.join(" ")} did not start:\n${output}`));
      }
    }, 100);
  });
}

function stopAll(): void {
  for (const child of children) child.kill("SIGTERM");
}
process.on("exit", stopAll);
process.on("SIGINT", () => process.exit(130));

interface Sample { rps: number; p50Ms: number; p99Ms: number; cpuUs: number }

function toMs(value: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(value);
  if (m === null) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

/** One wrk run; `cpuUs` is the CPU time of `pids`' process trees per request (host + plugins for (d)). */
function wrk(url: string, connections: number, post: boolean, seconds: number, pids: readonly number[] = []): Sample {
  const cpuBefore = pids.reduce((sum, pid) => sum + treeCpuMs(pid), 0);
  const argv = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", ...(post ? ["-s", join(here, "post-1k.lua")] : []), url];
  const out = spawnSync("wrk", argv, { encoding: "utf8" }).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (errors !== undefined || !Number.isFinite(rps)) throw new Error(`wrk ${argv.join(" ")} failed:\n${out}`);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const cpuMs = pids.reduce((sum, pid) => sum + treeCpuMs(pid), 0) - cpuBefore;
  return { rps, p50Ms: p50, p99Ms: p99, cpuUs: (cpuMs * 1000) / requests };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dataDir = mkdtempSync(join(tmpdir(), "corral-bench-"));
const logDir = mkdtempSync(join(tmpdir(), "corral-bench-logs-"));
try {
  const deno = resolveDenoBinary();
  console.error("bench: starting the five servers…");
  await start(process.execPath, ["--import", "tsx", join(here, "servers/node-hono.ts"), "19001"]);
  await start(deno, ["run", "--config", "deno.json", "--no-prompt", "--no-remote", "--allow-net=127.0.0.1:19002", join(here, "servers/deno-hono.ts"), "19002"]);
  await start(process.execPath, ["--import", "tsx", join(here, "servers/undici-proxy.ts"), "19003", "19002"]);
  await start(process.execPath, ["--import", "tsx", "host/main.ts"], {
    PORT: "19004", HOST: "127.0.0.1", CORRAL_PLUGINS_DIR: join(here, "plugins"), CORRAL_DATA_DIR: dataDir, CORRAL_LOG_LEVEL: "info",
  });
  await start(process.execPath, ["--import", "tsx", join(here, "servers/floor-host.ts"), "19006"]);

  const scenarios = [
    { name: "GET", post: false, path: "/" },
    { name: "POST 1 KB JSON", post: true, path: "/echo" },
  ];
  const results = new Map<string, Sample>();
  const total = scenarios.length * 2 * TARGETS.length * RUNS;
  let done = 0;
  for (const scenario of scenarios) {
    for (const connections of [1, 50]) {
      for (const target of TARGETS) {
        const url = `http://127.0.0.1:${target.port}${target.prefix}${scenario.path}`;
        wrk(url, connections, scenario.post, 1); // warm-up
        const samples: Sample[] = [];
        const pids = { a: [children[0]!.pid!], b: [children[1]!.pid!], c: [children[2]!.pid!, children[1]!.pid!], d: [children[3]!.pid!], e: [children[4]!.pid!] }[target.key];
        for (let run = 0; run < RUNS; run++) {
          samples.push(wrk(url, connections, scenario.post, SECONDS, pids));
          process.stderr.write(`\rbench: ${++done}/${total} runs`);
        }
        results.set(`${scenario.name}|${connections}|${target.key}`, {
          rps: median(samples.map((s) => s.rps)),
          p50Ms: median(samples.map((s) => s.p50Ms)),
          p99Ms: median(samples.map((s) => s.p99Ms)),
          cpuUs: median(samples.map((s) => s.cpuUs)),
        });
      }
    }
  }
  process.stderr.write("\n");
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  stopAll();

  process.stderr.write("bench: cold start…\n");
  const cold = await measureColdStart(join(here, "plugins/bench"), quick ? 5 : 20);
  const pluginCount = quick ? 10 : 50;
  process.stderr.write(`bench: host with ${pluginCount} plugins…\n`);
  const memory = await measureMemory(join(here, "plugins/bench"), pluginCount, 19005);
  const databaseUrl = process.env.DATABASE_URL;
  let db: Awaited<ReturnType<typeof measureDbRoundtrip>> | undefined;
  if (databaseUrl !== undefined) {
    process.stderr.write("bench: database round trip…\n");
    db = await measureDbRoundtrip(databaseUrl, quick ? 300 : 2000, quick ? 3 : 5);
  }
  process.stderr.write("bench: codec…\n");
  const codec = measureCodec(quick);

  const lines: string[] = [];
  lines.push(`Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${spawnSync(deno, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0]}`);
  lines.push(`Command: npm run bench -- ${quick ? "--quick" : `--runs ${RUNS} --seconds ${SECONDS}`} (wrk -t1, medians of ${RUNS} runs of ${SECONDS} s after a 1 s warm-up; load average after the wrk runs: ${load})`);
  lines.push("");
  lines.push("### Forwarding");
  lines.push("");
  lines.push("CPU µs/req: CPU time of the server's processes (from /proc) over requests served; (c) counts the proxy and (b), (d) the host and its plugin processes, (e) its host and runner. (e) is not one of the issue's targets: it is the floor of the design, a process hop per request with Corral's codec and none of its duties (scripts/bench/servers/floor-host.ts).");
  lines.push("");
  lines.push("| scenario | conns | target | req/s | p50 ms | p99 ms | CPU µs/req |");
  lines.push("|---|---:|---|---:|---:|---:|---:|");
  for (const scenario of scenarios) {
    for (const connections of [1, 50]) {
      for (const target of TARGETS) {
        const r = results.get(`${scenario.name}|${connections}|${target.key}`)!;
        lines.push(`| ${scenario.name} | ${connections} | (${target.key}) ${target.label} | ${Math.round(r.rps)} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${r.cpuUs.toFixed(0)} |`);
      }
    }
  }
  lines.push("");
  lines.push("| scenario | conns | d/a (Corral / direct Node) | d/c (Corral / undici proxy) | added p50 over (a) ms | added p99 over (a) ms | e/a (floor / direct Node) | e/c (floor / undici proxy) | d/e (Corral / floor) |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const scenario of scenarios) {
    for (const connections of [1, 50]) {
      const get = (k: string) => results.get(`${scenario.name}|${connections}|${k}`)!;
      lines.push(`| ${scenario.name} | ${connections} | ${(get("d").rps / get("a").rps).toFixed(2)} | ${(get("d").rps / get("c").rps).toFixed(2)} | ${(get("d").p50Ms - get("a").p50Ms).toFixed(3)} | ${(get("d").p99Ms - get("a").p99Ms).toFixed(3)} | ` +
        `${(get("e").rps / get("a").rps).toFixed(2)} | ${(get("e").rps / get("c").rps).toFixed(2)} | ${(get("d").rps / get("e").rps).toFixed(2)} |`);
    }
  }
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  lines.push("");
  lines.push("### Start-up and memory");
  lines.push("");
  lines.push("| what | result |");
  lines.push("|---|---:|");
  lines.push(`| cold start of a plugin, spawn to ready (median of ${cold.runs}) | ${cold.pluginColdStartMs.toFixed(0)} ms |`);
  lines.push(`| bare \`deno run\` of an empty module, spawn to exit (median of ${cold.runs}) | ${cold.bareDenoMs.toFixed(0)} ms |`);
  lines.push(`| idle RSS per plugin (its processes, ${memory.plugins} plugins running) | ${mib(memory.rssPerPluginBytes)} MiB |`);
  lines.push(`| host RSS with ${memory.plugins} idle plugins (the host process alone) | ${mib(memory.hostRssBytes)} MiB |`);
  lines.push("");
  lines.push("### Database round trip");
  lines.push("");
  if (db === undefined) lines.push("Not measured: DATABASE_URL is not set.");
  else {
    lines.push(`${db.n} sequential statements, median of ${db.rounds} rounds:`);
    lines.push("");
    lines.push("| path | per statement |");
    lines.push("|---|---:|");
    lines.push(`| node-postgres directly from Node (extended protocol) | ${db.direct.toFixed(0)} µs |`);
    lines.push(`| \`sql\` template through a plugin's \`ctx.db\` | ${db.raw.toFixed(0)} µs |`);
    lines.push(`| Kysely builder through \`ctx.db\` | ${db.kysely.toFixed(0)} µs |`);
    lines.push(`| begin + insert + commit through \`ctx.db\` | ${db.transaction.toFixed(0)} µs |`);
  }
  lines.push("");
  lines.push("### Codec, encode + decode per message (POST with 10 headers and 1 KB JSON)");
  lines.push("");
  lines.push("| side | codec | µs per message |");
  lines.push("|---|---|---:|");
  for (const row of codec) lines.push(`| ${row.side} | ${row.codec} | ${row.usPerMessage.toFixed(2)} |`);
  const report = lines.join("\n");
  console.log(report);
  if (WRITE) {
    writeResults(join(root, "docs/benchmarks.md"), `Run of ${new Date().toISOString().slice(0, 10)}.\n\n${report}`);
    process.stderr.write("bench: results written to docs/benchmarks.md\n");
  }
} finally {
  stopAll();
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
}
