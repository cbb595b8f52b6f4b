/**
 * Start-up and memory for `npm run bench`:
 *  - cold start: a plugin process (the `bench` plugin, launched exactly as the host launches it:
 *    launch plan, bubblewrap when present, the runner, init) from spawn to `ready`, against a bare
 *    `deno run` of an empty module from spawn to exit;
 *  - idle RSS per plugin and the host's RSS with 50 plugins: a real host (host/main.ts) started
 *    on 50 copies of a small plugin, measured from /proc once they are all ready and idle.
 */
import { spawn } from "node:child_process";
import { chmodSync, closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { discoverPlugins } from "../../host/discovery.ts";
import { Logger } from "../../host/logger.ts";
import { buildLaunchPlan } from "../../host/permission-flags.ts";
import { PluginProcess } from "../../host/plugin-process.ts";
import { defaultPolicy } from "../../host/policy.ts";
import { PROJECT_ROOT, resolveDenoBinary, resolveRuntimePaths } from "../../host/runtime-paths.ts";
import { HOST_VERSION } from "../../host/version.ts";
import { rssBytes, treePids } from "./cpu.ts";
import { median } from "./wrk.ts";

export interface StartupResult {
  /** Median ms from spawn to `ready` of a plugin process. */
  readonly pluginColdStartMs: number;
  /** Median ms from spawn to exit of `deno run` on an empty module. */
  readonly bareDenoMs: number;
  readonly runs: number;
}

/** Cold start of `runs` plugin processes, one after the other, and of `runs` bare `deno run`s. */
export async function measureColdStart(pluginDir: string, runs: number): Promise<StartupResult> {
  const work = mkdtempSync(join(tmpdir(), "corral-bench-start-"));
  try {
    const deno = resolveDenoBinary();
    const empty = join(work, "empty.ts");
    writeFileSync(empty, "");
    const bare: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        const child = spawn(deno, ["run", "--no-prompt", "--no-remote", empty], { stdio: "ignore" });
        child.on("error", reject);
        child.on("exit", () => resolve());
      });
      if (i > 0) bare.push(performance.now() - started); // the first run warms the caches
    }

    const [loaded] = (await discoverPlugins(join(pluginDir, ".."))).found.filter((p) => p.dir === pluginDir);
    if (loaded === undefined) throw new Error(`bench: no plugin in ${pluginDir}`);
    const policy = defaultPolicy();
    const paths = resolveRuntimePaths(join(work, "data"), process.env);
    const plan = buildLaunchPlan({ loaded, policy, paths, hostEnv: process.env });
    const log = new Logger({ level: "warn", sink: (line) => process.stderr.write(line + "\n") });
    const plugin: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const started = performance.now();
      const child = new PluginProcess({
        name: loaded.manifest.name, version: loaded.manifest.version, plan, cwd: loaded.dir, logger: log.forPlugin(loaded.manifest.name),
        hostVersion: HOST_VERSION, entryUrl: pathToFileURL(loaded.entryPath).href, mountPath: `/plugins/${loaded.manifest.name}`,
        config: {}, startTimeoutMs: 30_000, maxFrameBytes: 16 * 1024 * 1024, maxResponseBytes: 8 * 1024 * 1024,
      });
      await child.start();
      if (i > 0) plugin.push(performance.now() - started);
      await child.stop("bench", 5_000);
    }
    return { pluginColdStartMs: median(plugin), bareDenoMs: median(bare), runs };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface MemoryResult {
  readonly plugins: number;
  /** The host process alone, with `plugins` idle plugins. */
  readonly hostRssBytes: number;
  /** The plugins' processes (bubblewrap and Deno), summed, divided by `plugins`. */
  readonly rssPerPluginBytes: number;
}

/**
 * Starts host/main.ts on `count` copies of `pluginDir` (named perf-idle-NN, no database), waits
 * until they are started and a few seconds idle, and reads RSS from /proc.
 */
export async function measureMemory(pluginDir: string, count: number, port: number): Promise<MemoryResult> {
  const work = mkdtempSync(join(tmpdir(), "corral-bench-mem-"));
  // Without DATABASE_URL the host starts the embedded Postgres in work/data, as the OS user
  // "postgres" when run as root, which must pass through work (mkdtemp makes it private).
  chmodSync(work, 0o711);
  const plugins = join(work, "plugins");
  mkdirSync(plugins);
  const manifest = JSON.parse(readFileSync(join(pluginDir, "plugin.json"), "utf8")) as Record<string, unknown>;
  for (let i = 0; i < count; i++) {
    const name = `perf-idle-${String(i).padStart(2, "0")}`;
    cpSync(pluginDir, join(plugins, name), { recursive: true });
    writeFileSync(join(plugins, name, "plugin.json"), JSON.stringify({ ...manifest, name }));
  }
  const logFile = join(work, "host.log");
  const fd = openSync(logFile, "w");
  const host = spawn(process.execPath, ["--import", "tsx", "host/main.ts"], {
    cwd: PROJECT_ROOT, stdio: ["ignore", fd, fd],
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", CORRAL_PLUGINS_DIR: plugins, CORRAL_DATA_DIR: join(work, "data"), CORRAL_LOG_LEVEL: "warn" },
  });
  closeSync(fd);
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const health = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<{ plugins: Array<{ state: string }> }>).catch(() => undefined);
      if (health !== undefined && health.plugins.length === count && health.plugins.every((p) => p.state === "ready")) break;
      if (Date.now() > deadline || host.exitCode !== null) throw new Error(`bench: the host with ${count} plugins did not get ready:\n${readFileSync(logFile, "utf8").slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 3000)); // idle: start-up garbage collected, timers settled
    const hostRss = rssBytes(host.pid!);
    let pluginsRss = 0;
    for (const pid of treePids(host.pid!)) if (pid !== host.pid) pluginsRss += rssBytes(pid);
    return { plugins: count, hostRssBytes: hostRss, rssPerPluginBytes: pluginsRss / count };
  } finally {
    // A host that already ended (it could not start) emits no second exit to wait for.
    if (host.exitCode === null && host.signalCode === null) {
      const exited = new Promise((r) => host.once("exit", r));
      host.kill("SIGTERM");
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  }
}
