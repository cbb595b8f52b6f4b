/**
 * Load with faults: concurrent HTTP clients (undici) against several plugins of one real host for
 * a fixed time, while plugin processes are killed at random (SIGKILL to the deno process of a pid
 * /health reports). Counts what every request got, samples the host's RSS, and after shutdown
 * looks for Deno processes left behind. Used by `npm run load:faults` (scripts/load/faults.ts) and,
 * shorter, by test/e2e/load-faults.test.ts.
 */
import { readdir, readFile } from "node:fs/promises";
import { Pool } from "undici";
import { sampleTree } from "../../host/process-tree.ts";
import { isAlive, startTestHost } from "../../test/helpers/host.ts";

export interface FaultLoadOptions {
  readonly seconds: number;
  readonly connections: number;
  /** A kill every this many ms, give or take half (random). 0: no kills. */
  readonly killEveryMs: number;
  /** A request not answered within this is counted as hung (the plugins' timeoutMs is 3000). */
  readonly clientTimeoutMs: number;
  readonly plugins: readonly string[];
  /** Called about once a second with the running counts. */
  readonly progress?: (report: FaultLoadReport) => void;
}

export interface FaultLoadReport {
  requests: number;
  ok: number;
  /** 502/503/504 with a JSON body `{"error":{"code":"CORRAL_E_…","message"}}`, by code. */
  clearErrors: Record<string, number>;
  /** Anything else: another status, a wrong body, a 5xx without the JSON error, a reset connection. */
  bad: number;
  badSamples: string[];
  /** Requests not answered within clientTimeoutMs. */
  hung: number;
  kills: number;
  /** Host RSS samples: requests done so far, RSS in bytes. */
  rss: Array<{ requests: number; rssBytes: number }>;
  /** Least-squares slope of RSS over requests, past the first fifth of the run, in MiB per 100k requests. */
  rssSlopeMiBPer100k: number;
  requestsPerSecond: number;
  /** Deno processes of this host still alive after it closed (pids), and processes naming its plugin folder. */
  strayDenoPids: number[];
  strayByCommandLine: number[];
  /** How many processes the same scan found while the host ran (its live plugins): the scan's self-check. */
  liveByCommandLineBeforeClose: number;
}

interface PluginHealth { name: string; state: string; pid?: number | null }

/** The pid of the deno process in the tree under `pid` (the outermost may be prlimit or bwrap). */
async function denoPidUnder(pid: number): Promise<number | undefined> {
  const tree = await sampleTree(pid);
  for (const candidate of tree?.pids ?? []) {
    const comm = await readFile(`/proc/${candidate}/comm`, "utf8").catch(() => "");
    if (comm.trim() === "deno") return candidate;
  }
  return undefined;
}

/**
 * Pids whose command line mentions `text` (a host's plugins folder: its Deno processes import
 * their entry from it). The host's main module is a base64 `data:` URL, so those are decoded.
 */
export async function processesMentioning(text: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    const readable = args.map((arg) => {
      const base64 = /^data:[^,]*;base64,(.*)$/.exec(arg);
      return base64 === null ? arg : Buffer.from(base64[1]!, "base64").toString("utf8");
    });
    if (readable.some((arg) => arg.includes(text)) && isAlive(Number(entry))) out.push(Number(entry));
  }
  return out;
}

function slope(points: ReadonlyArray<{ requests: number; rssBytes: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.requests, 0) / n;
  const my = points.reduce((s, p) => s + p.rssBytes, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.requests - mx) * (p.rssBytes - my);
    den += (p.requests - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function runFaultLoad(options: FaultLoadOptions): Promise<FaultLoadReport> {
  const t = await startTestHost({
    plugins: options.plugins,
    // The test harness keeps every log record in an array: with one access record per request,
    // that array, not the host, would be what grows (measured: ~47 MiB per 100k requests).
    policy: { http: { accessLog: false } },
    // Every kill is a crash: the policy must not give up on a plugin during the run.
    restart: { baseDelayMs: 20, maxDelayMs: 200, maxCrashes: 100_000, windowMs: 60_000 },
  });
  const names = options.plugins.map((p) => p.split("/").at(-1)!);
  const report: FaultLoadReport = {
    requests: 0, ok: 0, clearErrors: {}, bad: 0, badSamples: [], hung: 0, kills: 0, rss: [],
    rssSlopeMiBPer100k: 0, requestsPerSecond: 0, strayDenoPids: [], strayByCommandLine: [], liveByCommandLineBeforeClose: 0,
  };
  const denoPids = new Set<number>();
  const pool = new Pool(t.url, { connections: options.connections, pipelining: 1 });
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const bad = (what: string) => {
    report.bad++;
    if (report.badSamples.length < 10) report.badSamples.push(what);
  };

  async function client(index: number): Promise<void> {
    for (let n = 0; Date.now() < deadline; n++) {
      const name = names[(index + n) % names.length]!;
      const post = n % 4 === 3;
      const payload = `payload ${index}-${n}`;
      const path = post ? `/plugins/${name}/echo` : `/plugins/${name}/hit/${index}-${n}`;
      const expected = post ? payload : `${name} ${index}-${n}`;
      report.requests++;
      try {
        const res = await pool.request({
          method: post ? "POST" : "GET", path, body: post ? payload : null,
          headersTimeout: options.clientTimeoutMs, bodyTimeout: options.clientTimeoutMs,
        });
        const text = await res.body.text();
        if (res.statusCode === 200) {
          if (text === expected) report.ok++;
          else bad(`${path}: 200 with ${JSON.stringify(text.slice(0, 80))}`);
        } else if ([502, 503, 504].includes(res.statusCode)) {
          let code: unknown;
          try {
            const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
            code = typeof parsed.error?.message === "string" ? parsed.error?.code : undefined;
          } catch {
            code = undefined;
          }
          if (typeof code === "string" && code.startsWith("CORRAL_E_")) {
            report.clearErrors[`${res.statusCode} ${code}`] = (report.clearErrors[`${res.statusCode} ${code}`] ?? 0) + 1;
          } else {
            bad(`${path}: ${res.statusCode} without a JSON error: ${text.slice(0, 80)}`);
          }
        } else {
          bad(`${path}: status ${res.statusCode}: ${text.slice(0, 80)}`);
        }
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") report.hung++;
        else bad(`${path}: ${code ?? ""} ${(error as Error).message}`);
      }
    }
  }

  async function killer(): Promise<void> {
    while (Date.now() < deadline) {
      const wait = options.killEveryMs * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, wait));
      const health = await (await fetch(`${t.url}/health`)).json() as { plugins: PluginHealth[] };
      for (const p of health.plugins) {
        if (typeof p.pid === "number") {
          const deno = await denoPidUnder(p.pid);
          if (deno !== undefined) denoPids.add(deno);
        }
      }
      if (options.killEveryMs <= 0 || Date.now() >= deadline) continue;
      const ready = health.plugins.filter((p) => p.state === "ready" && typeof p.pid === "number");
      const victim = ready[Math.floor(Math.random() * ready.length)];
      if (victim === undefined) continue;
      const deno = await denoPidUnder(victim.pid!);
      if (deno === undefined) continue;
      try {
        process.kill(deno, "SIGKILL");
        report.kills++;
      } catch {
        // Gone already (restarted meanwhile): not a kill.
      }
    }
  }

  const sampler = setInterval(() => {
    report.rss.push({ requests: report.requests, rssBytes: process.memoryUsage().rss });
    options.progress?.(report);
  }, 1000);
  try {
    await Promise.all([...Array.from({ length: options.connections }, (_, i) => client(i)), killer()]);
  } finally {
    clearInterval(sampler);
    await pool.close();
    const elapsed = (Date.now() - started) / 1000;
    report.requestsPerSecond = Math.round(report.requests / elapsed);
    const steady = report.rss.slice(Math.floor(report.rss.length / 5));
    report.rssSlopeMiBPer100k = Number(((slope(steady) * 100_000) / (1024 * 1024)).toFixed(2));
    const pluginsDir = t.pluginsDir;
    // The scan must see this host's live plugins now, or finding none after close proves nothing.
    report.liveByCommandLineBeforeClose = (await processesMentioning(pluginsDir)).length;
    await t.close();
    report.strayDenoPids = [...denoPids].filter(isAlive);
    report.strayByCommandLine = await processesMentioning(pluginsDir);
  }
  return report;
}
