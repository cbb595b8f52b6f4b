/**
 * `npm run bench:ab`: Corral's forwarding path, A against B, for judging one change at a time on
 * a shared machine. Each tree (a checkout of this repository: the working tree, a `git worktree`
 * of another commit...) gets its own host on an ephemeral port serving scripts/bench/plugins;
 * wrk runs alternate between them, and /proc gives the CPU time per request of the host process
 * alone and of the plugin processes below it, the numbers that hold up when neighbours steal
 * throughput.
 *
 * Usage: npm run bench:ab -- [--tree NAME=DIR]... [--conns 1,50] [--runs N] [--seconds S] [--post]
 * Without --tree it measures this checkout alone. Needs wrk (apt-get install -y wrk).
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuTicksByPid, treePids } from "./cpu.ts";
import { median, requireWrk, type Sample, wrk } from "./wrk.ts";

const HELP = `Usage: npm run bench:ab -- [--tree NAME=DIR]... [--conns 1,50] [--runs N] [--seconds S] [--post]

Starts one Corral host per tree (default: this checkout) serving scripts/bench/plugins/bench on
an ephemeral port, runs wrk against each in turn (interleaved), and prints per tree and
connection count: req/s, p50/p99 and the CPU µs per request of the host alone and of its plugin
processes (from /proc), medians over the runs.
  --tree NAME=DIR  a checkout to measure (repeatable); its node_modules must be installed
  --conns LIST     connection counts, default 1,50
  --runs N         wrk runs per tree and connection count, default 3
  --seconds S      seconds per wrk run, default 4
  --post           POST 1 KB JSON to /echo instead of GET /
Needs wrk: apt-get install -y wrk`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const trees = args.flatMap((arg, i) => (args[i - 1] === "--tree" ? [arg] : [])).map((spec) => {
  const at = spec.indexOf("=");
  if (at <= 0) {
    console.error(`bench:ab: --tree wants NAME=DIR, got ${JSON.stringify(spec)}`);
    process.exit(2);
  }
  return { name: spec.slice(0, at), dir: resolve(spec.slice(at + 1)) };
});
if (trees.length === 0) trees.push({ name: "this", dir: root });
const conns = option("--conns", "1,50").split(",").map(Number);
const runs = Number(option("--runs", "3"));
const seconds = Number(option("--seconds", "4"));
const post = args.includes("--post");
if (conns.some((c) => !Number.isInteger(c) || c < 1) || !(runs >= 1) || !(seconds >= 1)) {
  console.error("bench:ab: --conns wants positive integers (1,50), --runs and --seconds numbers of at least 1");
  process.exit(2);
}
requireWrk();

const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((child) => child.kill("SIGTERM")));
process.on("SIGINT", () => process.exit(130));

interface Host { readonly name: string; readonly pid: number; readonly url: string }

/** Starts `dir`'s host with its output in a file (as a service manager would) and waits for its URL. */
function startHost(name: string, dir: string, work: string): Promise<Host> {
  const logFile = join(work, `${name}.log`);
  const fd = openSync(logFile, "w");
  const child = spawn(process.execPath, ["--import", "tsx", "host/main.ts"], {
    cwd: dir,
    env: {
      ...process.env, DATABASE_URL: "", PORT: "0", HOST: "127.0.0.1", CORRAL_PLUGINS_DIR: join(dir, "scripts/bench/plugins"),
      CORRAL_DATA_DIR: join(work, `data-${name}`), CORRAL_LOG_LEVEL: "info",
    },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  children.push(child);
  return new Promise((resolveStart, reject) => {
    const deadline = Date.now() + 60_000;
    const poll = setInterval(() => {
      const output = readFileSync(logFile, "utf8");
      const url = /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1];
      if (url !== undefined && /plugins started|plugin ready/.test(output)) {
        clearInterval(poll);
        resolveStart({ name, pid: child.pid!, url });
      } else if (Date.now() > deadline || child.exitCode !== null) {
        clearInterval(poll);
        reject(new Error(`the host of ${name} (${dir}) did not start:\n${output.slice(-2000)}`));
      }
    }, 100);
  });
}

/** CPU ticks of the host process alone and of everything below it. */
function cpuOf(pid: number): { host: number; plugins: number } {
  const ticks = cpuTicksByPid();
  const host = ticks.get(pid)?.ticks ?? 0;
  const all = treePids(pid, ticks).reduce((sum, p) => sum + (ticks.get(p)?.ticks ?? 0), 0);
  return { host, plugins: all - host };
}

const work = mkdtempSync(join(tmpdir(), "corral-bench-ab-"));
// Each host starts its own embedded Postgres in its data folder, which runs as the OS user
// "postgres" and needs to reach it (mkdtemp makes the folder private).
chmodSync(work, 0o755);
try {
  const hosts: Host[] = [];
  for (const tree of trees) hosts.push(await startHost(tree.name, tree.dir, work));
  const script = post ? join(here, "post-1k.lua") : undefined;
  const path = post ? "/plugins/bench/echo" : "/plugins/bench/";
  const lines = [
    `${post ? "POST 1 KB JSON" : "GET"}, ${runs} interleaved runs of ${seconds} s per tree, wrk -t1; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} at the start`,
    "",
    "| tree | conns | req/s | p50 ms | p99 ms | host CPU µs/req | plugin CPU µs/req | total CPU µs/req |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const connections of conns) {
    const samples = new Map<string, { sample: Sample; host: number; plugins: number }[]>();
    for (const host of hosts) wrk(host.url + path, connections, 1, script); // warm-up
    for (let run = 0; run < runs; run++) {
      for (const host of hosts) {
        const before = cpuOf(host.pid);
        const sample = wrk(host.url + path, connections, seconds, script);
        const after = cpuOf(host.pid);
        // USER_HZ ticks (10 ms) to µs per request.
        const perRequest = (ticks: number) => (ticks * 10_000) / sample.requests;
        const list = samples.get(host.name) ?? [];
        list.push({ sample, host: perRequest(after.host - before.host), plugins: perRequest(after.plugins - before.plugins) });
        samples.set(host.name, list);
        process.stderr.write(".");
      }
    }
    for (const host of hosts) {
      const list = samples.get(host.name)!;
      const m = (pick: (entry: (typeof list)[number]) => number) => median(list.map(pick));
      lines.push(`| ${host.name} | ${connections} | ${m((e) => e.sample.rps).toFixed(0)} | ${m((e) => e.sample.p50Ms).toFixed(3)} | ` +
        `${m((e) => e.sample.p99Ms).toFixed(3)} | ${m((e) => e.host).toFixed(0)} | ${m((e) => e.plugins).toFixed(0)} | ${m((e) => e.host + e.plugins).toFixed(0)} |`);
    }
  }
  process.stderr.write("\n");
  lines.push("", `load average at the end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.log(lines.join("\n"));
} finally {
  children.forEach((child) => child.kill("SIGTERM"));
  await new Promise((r) => setTimeout(r, 500));
  rmSync(work, { recursive: true, force: true });
}
