/**
 * `npm run bench:hooks`: what one global beforeRequest hook adds to a forwarded request. Two
 * hosts serve the same bench plugin (scripts/bench/plugins/bench): one without hooks, one with
 * a hook plugin (scripts/bench/plugins-hooked/bench-hook) whose beforeRequest attaches
 * `{ user }` to every request to it. wrk measures GET / on both, runs interleaved, at 1 and 50
 * connections; the report gives the medians and the difference.
 *
 * Usage: npm run bench:hooks [-- --runs N] [-- --seconds S]
 * Needs wrk (apt-get install -y wrk). Uses DATABASE_URL when set, else the embedded Postgres.
 */
import { spawn } from "node:child_process";
import { get } from "node:http";
import type { ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { treeCpuMs } from "./cpu.ts";
import { median, requireWrk, type Sample, wrk } from "./wrk.ts";

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log("Usage: npm run bench:hooks [-- --runs N --seconds S]\n\nForwarding with and without one global beforeRequest hook (wrk, GET, 1 and 50 connections).\nNeeds wrk: apt-get install -y wrk");
  process.exit(0);
}
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = option("--runs", 3);
const SECONDS = option("--seconds", 5);

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
requireWrk();

const children: ChildProcess[] = [];
function startHost(port: number, pluginsDir: string, dataDir: string): Promise<ChildProcess> {
  return new Promise((resolveStart, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "host/main.ts"], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", CORRAL_PLUGINS_DIR: pluginsDir, CORRAL_DATA_DIR: dataDir, CORRAL_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    const timer = setTimeout(() => reject(new Error(`host on ${port} did not start:\n${output}`)), 60_000);
    const poll = setInterval(async () => {
      try {
        const health = await getJson(`http://127.0.0.1:${port}/health`) as { status: string };
        if (health.status === "ok") {
          clearInterval(poll);
          clearTimeout(timer);
          resolveStart(child);
        }
      } catch { /* not listening yet */ }
    }, 200);
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`host on ${port} exited with ${code}:\n${output}`)));
  });
}

/** GET as JSON on a fresh connection (fetch's pool may hold one the host has closed meanwhile). */
function getJson(url: string): Promise<unknown> {
  return new Promise((resolveGet, reject) => {
    get(url, { agent: false }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => {
        try {
          resolveGet(JSON.parse(text));
        } catch (error) {
          reject(error);
        }
      });
    }).on("error", reject);
  });
}

process.on("exit", () => children.forEach((child) => child.kill("SIGTERM")));
process.on("SIGINT", () => process.exit(130));

const work = mkdtempSync(join(tmpdir(), "corral-bench-hooks-"));
try {
  const hookedPlugins = join(work, "plugins");
  cpSync(join(here, "plugins"), hookedPlugins, { recursive: true });
  cpSync(join(here, "plugins-hooked"), hookedPlugins, { recursive: true });
  console.error("bench: starting two hosts…");
  const hosts = [
    { key: "plain", label: "forwarding, no hook", port: 19011, plugins: join(here, "plugins") },
    { key: "hooked", label: "forwarding + 1 global beforeRequest", port: 19012, plugins: hookedPlugins },
  ] as const;
  const pids = await Promise.all(hosts.map(async (host) => (await startHost(host.port, host.plugins, join(work, `data-${host.key}`))).pid!));
  const pidOf = { plain: pids[0]!, hooked: pids[1]! };

  const results = new Map<string, Sample>();
  /** CPU milliseconds of a host's whole process tree (host, plugins) per 1000 requests. */
  const cpuPerRequest = new Map<string, number>();
  let done = 0;
  for (const connections of [1, 50]) {
    for (const host of hosts) wrk(`http://127.0.0.1:${host.port}/plugins/bench/`, connections, 1); // warm-up
    const samples: Record<string, Sample[]> = { plain: [], hooked: [] };
    const cpuMs: Record<string, number> = { plain: 0, hooked: 0 };
    for (let run = 0; run < RUNS; run++) {
      for (const host of hosts) {
        const cpuBefore = treeCpuMs(pidOf[host.key]);
        samples[host.key]!.push(wrk(`http://127.0.0.1:${host.port}/plugins/bench/`, connections, SECONDS));
        cpuMs[host.key]! += treeCpuMs(pidOf[host.key]) - cpuBefore;
        process.stderr.write(`\rbench: ${++done}/${RUNS * 4} runs`);
      }
    }
    for (const host of hosts) {
      const requests = samples[host.key]!.reduce((sum, sample) => sum + sample.requests, 0);
      cpuPerRequest.set(`${connections}|${host.key}`, (cpuMs[host.key]! * 1000) / requests);
    }
    for (const host of hosts) {
      const list = samples[host.key]!;
      results.set(`${connections}|${host.key}`, {
        requests: list.reduce((sum, sample) => sum + sample.requests, 0),
        rps: median(list.map((s) => s.rps)), p50Ms: median(list.map((s) => s.p50Ms)), p99Ms: median(list.map((s) => s.p99Ms)),
      });
    }
  }
  process.stderr.write("\n");
  const health = await getJson(`http://127.0.0.1:19012/health`) as { hooks: { plugin: string; calls: number; failures: number; meanMs: number }[] };
  const hook = health.hooks.find((entry) => entry.plugin === "bench-hook")!;

  const lines: string[] = [];
  lines.push(`Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}`);
  lines.push(`Command: npm run bench:hooks -- --runs ${RUNS} --seconds ${SECONDS} (wrk -t1, GET /plugins/bench/, medians of ${RUNS} interleaved runs of ${SECONDS} s after a 1 s warm-up)`);
  lines.push("");
  lines.push("| conns | target | req/s | p50 ms | p99 ms | CPU µs/request (host + plugins) |");
  lines.push("|---:|---|---:|---:|---:|---:|");
  for (const connections of [1, 50]) {
    for (const host of hosts) {
      const r = results.get(`${connections}|${host.key}`)!;
      const cpu = cpuPerRequest.get(`${connections}|${host.key}`)!;
      lines.push(`| ${connections} | ${host.label} | ${Math.round(r.rps)} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${Math.round(cpu)} |`);
    }
  }
  lines.push("");
  lines.push("| conns | hooked / plain req/s | added p50 | added CPU per request |");
  lines.push("|---:|---:|---:|---:|");
  for (const connections of [1, 50]) {
    const plain = results.get(`${connections}|plain`)!;
    const hooked = results.get(`${connections}|hooked`)!;
    const addedCpu = cpuPerRequest.get(`${connections}|hooked`)! - cpuPerRequest.get(`${connections}|plain`)!;
    lines.push(`| ${connections} | ${(hooked.rps / plain.rps).toFixed(2)} | ${Math.round((hooked.p50Ms - plain.p50Ms) * 1000)} µs | ${Math.round(addedCpu)} µs |`);
  }
  lines.push("");
  lines.push(`The hook, as the host's /health counted it: ${hook.calls} calls, ${hook.failures} failures, mean ${hook.meanMs} ms per call (host side, round trip).`);
  console.log(lines.join("\n"));
} finally {
  children.forEach((child) => child.kill("SIGTERM"));
  await new Promise((r) => setTimeout(r, 1000));
  rmSync(work, { recursive: true, force: true });
}
