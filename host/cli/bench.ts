/**
 * `corral bench <plugin> <path>`: load-tests one route of a plugin on a real host (a running one,
 * or one it starts with that plugin folder) with autocannon, and prints throughput and latency
 * percentiles.
 */
import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type { CliCommand, CliContext } from "./cli.ts";
import { ExitCode, UsageError } from "./cli.ts";
import { colours, parseCommandArgs, progress, writeJson } from "./options.ts";
import { latencySummary, type LatencySummary } from "./latency-summary.ts";

const HELP = `Usage: npx corral bench <plugin> <path> [options]

Load-tests GET (or --method) <path> of a plugin with autocannon and prints requests per second and
latency percentiles (p50, p90, p99, max, from every response's own time).

<plugin>   without --host: the plugin's folder (or a plugin name in CORRAL_PLUGINS_DIR); a host is
           started for it in a child process (npm start: DATABASE_URL or the embedded Postgres)
           and stopped afterwards. With --host: the plugin's name on that running host.
<path>     below the plugin's mount, e.g. / or /api/items?limit=10

Options:
  --host <url>          a running host to load, e.g. http://127.0.0.1:8080
  --connections <n>     concurrent connections (default 10)
  --duration <seconds>  how long (default 10; fractions allowed)
  --method <m>          HTTP method (default GET)
  --body <text|@file>   request body; @file reads it from a file; JSON gets content-type application/json
  --header <k: v>       a request header (repeatable), e.g. --header "authorization: Bearer ..."
  --json                print the result as one JSON document
  -h, --help            show this help

Load generator and host share this machine's CPUs: compare runs on one machine, not across them.
Exit codes: 0 done, 1 not one 2xx answer, 2 usage, 3 the host could not be started or reached, 130 interrupted.
`;

/** The part of autocannon's API used here (it ships no types). */
interface AutocannonResult {
  readonly requests: { readonly total: number };
  readonly throughput: { readonly average: number };
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly "2xx": number;
  readonly statusCodeStats: Readonly<Record<string, { count: number }>>;
}
interface AutocannonInstance {
  on(event: "response", listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): void;
  on(event: "tick", listener: (counter: { counter: number }) => void): void;
  stop(): void;
}
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => AutocannonInstance;

/** What `--json` prints. */
export interface BenchResult {
  readonly url: string;
  readonly method: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly requests: { readonly total: number; readonly perSecond: number; readonly ok: number; readonly non2xx: number; readonly errors: number; readonly timeouts: number };
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly latencyMs: LatencySummary;
  readonly bytesPerSecond: number;
}

function positiveNumber(text: string | undefined, name: string, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${name} must be a positive ${integer ? "whole " : ""}number, got ${JSON.stringify(text)}`);
  }
  return value;
}

function parseHeaders(list: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf(":");
    if (at <= 0) throw new UsageError(`--header must look like "name: value", got ${JSON.stringify(item)}`);
    headers[item.slice(0, at).trim().toLowerCase()] = item.slice(at + 1).trim();
  }
  return headers;
}

/** The plugin folder for a `<plugin>` given without --host: a folder, else a name in the plugins folder. */
async function pluginFolder(plugin: string, context: CliContext): Promise<string> {
  const isFolder = async (path: string) => (await stat(path).catch(() => undefined))?.isDirectory() === true;
  const direct = resolve(context.cwd, plugin);
  if (await isFolder(direct)) return direct;
  const named = join(resolve(context.cwd, context.env.CORRAL_PLUGINS_DIR || "plugins"), plugin);
  if (/^[a-z][a-z0-9-]*$/.test(plugin) && await isFolder(named)) return named;
  throw new UsageError(`no plugin folder ${direct}${/^[a-z][a-z0-9-]*$/.test(plugin) ? ` nor ${named}` : ""}; give a plugin folder, or a plugin name with --host <url>`);
}

/** Runs autocannon against `url`; resolves with its result and every response's latency. */
function load(options: Record<string, unknown>, durationSeconds: number, context: CliContext, quiet: boolean): Promise<{ result: AutocannonResult; latencies: Float64Array }> {
  const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const seconds = Math.max(1, Math.ceil(durationSeconds));
  const bar = progress(context, seconds, quiet);
  let total = 0;
  let ticks = 0;
  return new Promise((resolveLoad, reject) => {
    const instance = autocannon(options, (error, result) => {
      bar.done();
      context.signal.removeEventListener("abort", stop);
      if (error) reject(error);
      else resolveLoad({ result, latencies: latencies.subarray(0, count) });
    });
    const stop = () => instance.stop();
    context.signal.addEventListener("abort", stop, { once: true });
    instance.on("response", (_client, _status, _bytes, ms) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = ms;
    });
    instance.on("tick", ({ counter }) => {
      total += counter;
      // autocannon ticks once more as it ends: the bar stops at its end.
      if (++ticks <= seconds) bar.step(`${total} requests`);
    });
  });
}

function printResult(r: BenchResult, context: CliContext): void {
  const c = colours(context.stdout, context.env);
  const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
  const other = Object.entries(r.statusCodes).filter(([code]) => !code.startsWith("2")).map(([code, n]) => `${code}: ${n}`).join(", ");
  context.stdout.write([
    `${c.bold(`${r.method} ${r.url}`)}  ${r.connections} connections, ${r.durationSeconds} s`,
    `requests   ${c.bold(`${r.requests.perSecond.toFixed(0)}/s`)}  (${r.requests.total} in ${r.durationSeconds} s; 2xx ${r.requests.ok}${r.requests.non2xx ? `, ${c.yellow(`other ${r.requests.non2xx} (${other})`)}` : ""}${r.requests.errors ? `, ${c.red(`errors ${r.requests.errors}`)}` : ""}${r.requests.timeouts ? `, ${c.red(`timeouts ${r.requests.timeouts}`)}` : ""})`,
    `latency    p50 ${c.bold(ms(r.latencyMs.p50))}  p90 ${ms(r.latencyMs.p90)}  p99 ${ms(r.latencyMs.p99)}  max ${ms(r.latencyMs.max)}  (mean ${ms(r.latencyMs.mean)})`,
    `throughput ${(r.bytesPerSecond / 1024 / 1024).toFixed(2)} MB/s`,
  ].join("\n") + "\n");
}

export const bench: CliCommand = {
  name: "bench",
  summary: "load-test a plugin's route on a real host: requests/s and latency percentiles",
  help: HELP,
  async run(args: readonly string[], context: CliContext): Promise<number> {
    const { values, positionals } = parseCommandArgs("bench", args, {
      host: { type: "string" }, connections: { type: "string" }, duration: { type: "string" }, method: { type: "string" },
      body: { type: "string" }, header: { type: "string", multiple: true }, json: { type: "boolean" },
    });
    if (values.help) return (context.stdout.write(HELP), ExitCode.OK);
    const [plugin, path] = positionals;
    if (plugin === undefined || path === undefined || positionals.length > 2) throw new UsageError("corral bench needs <plugin> and <path>, e.g. corral bench plugins/notes /");
    if (!path.startsWith("/")) throw new UsageError(`<path> must start with "/", got ${JSON.stringify(path)}`);
    const connections = positiveNumber(values.connections, "--connections", 10, true);
    const durationSeconds = positiveNumber(values.duration, "--duration", 10, false);
    const method = (values.method ?? "GET").toUpperCase();
    if (!/^[A-Z]+$/.test(method)) throw new UsageError(`--method must be an HTTP method such as GET or POST, got ${JSON.stringify(values.method)}`);
    const headers = parseHeaders(values.header ?? []);
    let body: string | undefined = values.body;
    if (body?.startsWith("@")) body = await readFile(resolve(context.cwd, body.slice(1)), "utf8").catch((error: Error) => { throw new UsageError(`--body ${values.body}: ${error.message}`); });
    if (body !== undefined && headers["content-type"] === undefined) {
      try {
        JSON.parse(body);
        headers["content-type"] = "application/json";
      } catch {
        headers["content-type"] = "text/plain";
      }
    }

    let pluginUrl: string;
    let stopHost = async () => {};
    if (values.host !== undefined) {
      if (!/^https?:\/\//.test(values.host)) throw new UsageError(`--host must be a URL such as http://127.0.0.1:8080, got ${JSON.stringify(values.host)}`);
      if (!/^[a-z][a-z0-9-]*$/.test(plugin)) throw new UsageError(`with --host, <plugin> is a plugin's name, got ${JSON.stringify(plugin)}`);
      pluginUrl = `${values.host.replace(/\/+$/, "")}/plugins/${plugin}`;
    } else {
      const folder = await pluginFolder(plugin, context);
      if (!values.json) context.stderr.write(`starting a host for ${folder}...\n`);
      const { startBenchHost } = await import("./bench-host.ts");
      const host = await startBenchHost(folder, context.cwd, context.env);
      pluginUrl = host.pluginUrl;
      stopHost = host.stop;
    }
    const url = `${pluginUrl}${path}`;
    try {
      // One request first: an unreachable host or a route that fails should say so before the load.
      const first = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) }).catch((error: Error) => error);
      if (first instanceof Error) {
        context.stderr.write(`corral: cannot reach ${url}: ${(first.cause as Error | undefined)?.message ?? first.message}\n`);
        return ExitCode.CANNOT_RUN;
      }
      await first.arrayBuffer();
      if (!first.ok) context.stderr.write(`corral: warning: ${method} ${url} answered ${first.status}; measuring it anyway\n`);
      const { result, latencies } = await load({ url, connections, duration: durationSeconds, method, headers, ...(body === undefined ? {} : { body }) }, durationSeconds, context, values.json === true);
      const seconds = result.duration || durationSeconds;
      const summary: BenchResult = {
        url, method, connections, durationSeconds: seconds,
        requests: { total: result.requests.total, perSecond: result.requests.total / seconds, ok: result["2xx"], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts },
        statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
        latencyMs: latencySummary(latencies),
        bytesPerSecond: result.throughput.average,
      };
      if (values.json) writeJson(context, summary);
      else printResult(summary, context);
      if (context.signal.aborted) return ExitCode.INTERRUPTED;
      return summary.requests.ok > 0 ? ExitCode.OK : ExitCode.FAILED;
    } finally {
      await stopHost();
    }
  },
};
