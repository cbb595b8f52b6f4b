/**
 * Integration tests for plugin authors (`import { startHarness } from "corral/testing"`): a real
 * Corral host with one plugin, on an ephemeral port, with a real Deno process and a real Postgres.
 * Works from `node --test` and uvu (any Node test runner); `npx corral test` runs such tests.
 *
 * @example
 * ```js
 * import { test } from "node:test";
 * import assert from "node:assert/strict";
 * import { startHarness } from "corral/testing";
 *
 * test("GET /hello answers JSON", async (t) => {
 *   const harness = await startHarness({ plugin: new URL("..", import.meta.url).pathname });
 *   t.after(() => harness.stop());
 *   const response = await harness.fetch("/hello");
 *   assert.equal(response.status, 200);
 * });
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { CorralError, ErrorCode, type ErrorCodeValue } from "../../schemas/errors.ts";
import { startOnePluginHost } from "../dev/one-plugin-host.ts";
import type { HealthReport } from "../health.ts";
import { Logger, type LogRecord } from "../logger.ts";
import { loadManifest } from "../manifest/manifest.ts";
import { createScratchDatabase, dropStaleScratchDatabases, type ScratchDatabase } from "./scratch-database.ts";

export type { LogRecord } from "../logger.ts";

/** What {@linkcode startHarness} starts. */
export interface HarnessOptions {
  /** The plugin folder (the one holding plugin.json): a path, absolute or relative to the working folder, or a file: URL. */
  readonly plugin: string | URL;
  /**
   * A Postgres superuser URL. The harness makes a database of its own on that server and drops it
   * (and the plugin role it created) on `stop()`. Default: `DATABASE_URL`; when that is unset too,
   * or with `"embedded"`, the embedded Postgres in a temporary folder (slower: made each time).
   */
  readonly databaseUrl?: string;
  /** The host policy (docs/security.md), e.g. `{ defaults: { memoryMb: 256 } }`; default: the built-in one. */
  readonly policy?: Readonly<Record<string, unknown>>;
  /** Variables the plugin may be granted (`permissions.env`); nothing else of the test's environment reaches it. */
  readonly env?: Readonly<Record<string, string>>;
  /** Print each log record to stderr as it is written (default: when CORRAL_HARNESS_LOGS=1). */
  readonly echoLogs?: boolean;
}

/** The entry of the harness's plugin in the host's health report. */
export type HarnessPluginHealth = HealthReport["plugins"][number];

/** A running harness: one host, one plugin. */
export interface Harness {
  /** The plugin's name (from its manifest). */
  readonly name: string;
  /** The host's base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Where the plugin is mounted: `<url>/plugins/<name>`. */
  readonly pluginUrl: string;
  /** The host's admin API token (Authorization: Bearer ...), for tests of admin routes. */
  readonly adminToken: string;
  /**
   * A real HTTP request to the plugin: `path` is below its mount (`"/hello"` fetches
   * `<url>/plugins/<name>/hello`). The host's own routes: `fetch(\`${harness.url}/health\`)`.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Every log record so far, the host's and the plugin's (the plugin's carry `plugin: name`), oldest first. */
  logs(): readonly LogRecord[];
  /** The plugin's health now: state, version, pid, grants, restarts, last error... */
  health(): HarnessPluginHealth;
  /** Stops the host and the plugin's process, and drops what the run created (its database, temporary folders). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a host with the plugin at `options.plugin` and resolves once the plugin is ready.
 *
 * @throws CorralError MANIFEST_INVALID for a folder without a valid plugin.json; POLICY_DENIED
 *   (and the host's other refusals, with their code) when the policy refuses its grants; INIT_FAILED when
 *   the plugin does not become ready (its failure and last log lines are in the message; nothing
 *   is left running); DB_UNAVAILABLE when Postgres cannot be reached.
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const folder = options.plugin instanceof URL ? fileURLToPath(options.plugin) : options.plugin;
  if (typeof folder !== "string" || folder === "") throw new TypeError(`startHarness: "plugin" must be the plugin's folder, got ${JSON.stringify(options.plugin)}`);
  const records: LogRecord[] = [];
  const echo = options.echoLogs ?? process.env.CORRAL_HARNESS_LOGS === "1";
  const logger = new Logger({
    level: "debug",
    sink: (line, record) => {
      records.push(record);
      if (echo) process.stderr.write(`${line}\n`);
    },
  });
  const given = options.databaseUrl ?? (process.env.DATABASE_URL || undefined);
  const serverUrl = given === "embedded" ? undefined : given;
  // The name first: a broken manifest fails here, before a database is made.
  const { manifest } = await loadManifest(folder);
  if (serverUrl !== undefined) {
    // What killed runs left behind goes first; cleaning up is a courtesy, never a reason to fail.
    const stale = await dropStaleScratchDatabases(serverUrl).catch(() => []);
    if (stale.length > 0) logger.info("harness: dropped scratch databases of runs that ended without stop()", { databases: stale });
  }
  const scratch: ScratchDatabase | undefined = serverUrl === undefined ? undefined : await createScratchDatabase(serverUrl, [manifest.name]);
  let running;
  try {
    running = await startOnePluginHost({
      folder,
      ...(scratch === undefined ? {} : { databaseUrl: scratch.url }),
      ...(options.policy === undefined ? {} : { policy: options.policy }),
      env: { ...options.env },
      logger,
    });
  } catch (error) {
    await scratch?.drop().catch(() => undefined);
    throw error;
  }
  const { host } = running;
  const name = running.manifest.name;
  const pluginHealth = (): HarnessPluginHealth => {
    const entry = host.health().plugins.find((p) => p.name === name);
    if (entry === undefined) throw new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `plugin "${name}" is not on the harness's host; see harness.logs()`);
    return entry;
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await running.close("harness stopped");
      await scratch?.drop();
    })();
    return stopping;
  };
  const problem = startProblem(host.health(), name, records);
  if (problem !== undefined) {
    // Never leave a host running behind a refusal: the test process would not exit.
    await stop();
    throw problem;
  }
  const pluginUrl = `${host.url}/plugins/${name}`;
  return {
    name,
    url: host.url,
    pluginUrl,
    adminToken: host.adminToken,
    fetch: (path, init) => fetch(`${pluginUrl}${path.startsWith("/") ? "" : "/"}${path}`, init),
    logs: () => [...records],
    health: pluginHealth,
    stop,
  };
}

/** Why the plugin is not serving after the host's start (refused, or not ready), or undefined when it serves. */
function startProblem(report: HealthReport, name: string, records: readonly LogRecord[]): CorralError | undefined {
  const entry = report.plugins.find((p) => p.name === name) as
    | { state: string; failure?: string | null; lastExit?: { message?: string } | null; reason?: string; message?: string }
    | undefined;
  if (entry === undefined) {
    const refused = report.invalid[0];
    return new CorralError((refused?.code ?? ErrorCode.PLUGIN_NOT_FOUND) as ErrorCodeValue,
      `plugin "${name}" was refused by the harness's host: ${refused?.message ?? "it is not listed; see harness.logs()"}`);
  }
  if (entry.state === "ready" || entry.state === "idle") return undefined;
  const why = entry.failure ?? entry.lastExit?.message ?? entry.message ?? entry.reason ?? `it is ${entry.state}`;
  const tail = records.filter((r) => r.level === "error" || r.level === "warn").slice(-5)
    .map((r) => `  ${r.level} ${r.message}${r.fields?.error ? `: ${String(r.fields.error)}` : ""}`);
  return new CorralError(ErrorCode.INIT_FAILED,
    `plugin "${name}" did not start on the harness's host: ${why}${tail.length ? `\nlast warnings and errors:\n${tail.join("\n")}` : ""}`);
}
