/**
 * Starts a real host (in this process) on an ephemeral port with a chosen set of plugin folders
 * copied into a temporary plugins folder, and captures its log records.
 */
import { readFileSync } from "node:fs";
import { chmod, cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { startHost } from "../../host/host.ts";
import type { RunningHost } from "../../host/host.ts";
import { Logger } from "../../host/logger.ts";
import type { LogRecord } from "../../host/logger.ts";
import type { RestartPolicy } from "../../host/supervisor.ts";
import { requireDatabaseUrl } from "./database.ts";

export const FIXTURES = resolve(import.meta.dirname, "../fixtures/plugins");
export const SHIPPED = resolve(import.meta.dirname, "../../plugins");

export interface TestHost {
  readonly url: string;
  readonly host: RunningHost;
  readonly logs: LogRecord[];
  readonly pluginsDir: string;
  close(): Promise<void>;
}

export interface TestHostOptions {
  /** Plugin folders: a fixture name, or an absolute path. */
  readonly plugins: readonly string[];
  readonly policy?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly restart?: RestartPolicy;
  readonly echoLogs?: boolean;
  /** "external" (default): DATABASE_URL; "embedded": the host starts its own Postgres in its data folder. */
  readonly database?: "external" | "embedded";
  /** A stand-in for sandbox/runner.ts (absolute path). */
  readonly runnerPath?: string;
  /** The host's static override folder (absolute path); none when missing. */
  readonly staticDir?: string;
  /** The host's templates folder (CORRAL_TEMPLATES_DIR); none by default. */
  readonly templatesDir?: string;
  /** Development mode: plugin folders are watched and reloaded on change. */
  readonly dev?: boolean;
  /** The largest frame a plugin may send (the host's default is 256 MiB). */
  readonly maxFrameBytes?: number;
}

export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  const work = await mkdtemp(join(tmpdir(), "corral-test-"));
  // As root, the embedded Postgres runs as the OS user "postgres", which must pass through every
  // folder above its data folder; the host opens up only the data folder's own parent.
  if (options.database === "embedded" && process.getuid?.() === 0) await chmod(work, 0o711);
  const pluginsDir = join(work, "plugins");
  for (const plugin of options.plugins) {
    const source = plugin.startsWith("/") ? plugin : join(FIXTURES, plugin);
    await cp(source, join(pluginsDir, basename(source)), { recursive: true });
  }
  let policyFile: string | undefined;
  if (options.policy !== undefined) {
    policyFile = join(work, "policy.json");
    await writeFile(policyFile, JSON.stringify(options.policy));
  }
  const logs: LogRecord[] = [];
  const logger = new Logger({
    level: "debug",
    sink: (line, record) => {
      logs.push(record);
      if (options.echoLogs || process.env.CORRAL_TEST_LOGS === "1") console.log(line);
    },
  });
  const host = await startHost({
    port: 0,
    hostname: "127.0.0.1",
    pluginsDir,
    dataDir: join(work, "data"),
    ...(policyFile === undefined ? {} : { policyFile }),
    databaseUrl: options.database === "embedded" ? undefined : requireDatabaseUrl("test host"),
    logger,
    env: { ...options.env },
    shutdownGraceMs: 3000,
    ...(options.restart === undefined ? {} : { restart: options.restart }),
    ...(options.runnerPath === undefined ? {} : { runtimeOverrides: { runnerPath: options.runnerPath } }),
    ...(options.staticDir === undefined ? {} : { staticDir: options.staticDir }),
    ...(options.templatesDir === undefined ? {} : { templatesDir: options.templatesDir }),
    ...(options.dev === undefined ? {} : { dev: options.dev }),
    ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
  });
  await host.started;
  return {
    url: host.url,
    host,
    logs,
    pluginsDir,
    async close() {
      await host.close("test finished");
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** Is a process with this pid alive? A zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
