/**
 * Runs one command of one plugin, as `npx corral run <plugin>:<command>` does: a fresh process of
 * that plugin alone, launched exactly as the host would launch it (manifest, policy, bubblewrap,
 * limits, its own database role), then the entry point `commands.run`, its output passed through
 * as it comes, then a normal shutdown. Nothing else of the host starts.
 */
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import type { CommandRunResult } from "../../schemas/commands.ts";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { DEFAULT_CACHE_MAX_BYTES, HostCache } from "../cache/host-cache.ts";
import { registerCacheServices } from "../cache/services.ts";
import type { PluginDatabase } from "../db/plugin-database.ts";
import { discoverPlugins } from "../discovery.ts";
import type { Logger } from "../logger.ts";
import { assertHostApi } from "../manifest/host-api.ts";
import type { LoadedManifest } from "../manifest/manifest.ts";
import { buildLaunchPlan } from "../permission-flags.ts";
import { PluginProcess } from "../plugin-process.ts";
import { loadPolicy, withRuntimeDenies } from "../policy.ts";
import { runtimeDenies } from "../runtime-denies.ts";
import { resolveRuntimePaths } from "../runtime-paths.ts";
import { ServiceRegistry } from "../services/registry.ts";
import { HOST_VERSION } from "../version.ts";
import { databaseTarget } from "./database-target.ts";
import type { OpenedHostDatabase } from "./command-database.ts";
import { findPluginCommand } from "./find-command.ts";

/** What to run. */
export interface CommandRequest {
  readonly plugin: string;
  readonly command: string;
  readonly args: readonly string[];
}

/** Where and how to run it: the host's configuration, and the streams the output goes to. */
export interface CommandEnvironment {
  readonly pluginsDir: string;
  readonly dataDir: string;
  readonly policyFile: string | undefined;
  readonly databaseUrl: string | undefined;
  /** The host's port (PORT): denied to the plugin on every local address, as the host does. */
  readonly hostPort: number;
  /** The environment granted variables come from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly cacheMaxBytes?: number;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** How long the command may run; unbounded when missing. */
  readonly timeoutMs?: number;
  /** Aborting it (Ctrl-C) stops the plugin; the run then rejects with SHUTTING_DOWN. */
  readonly signal?: AbortSignal;
}

/** As the host's: calls and queries only, responses never travel here. */
const MAX_FRAME_BYTES = 80 * 1024 * 1024;
/** setTimeout's ceiling (~24.8 days) stands for "no timeout". */
const NO_TIMEOUT_MS = 2 ** 31 - 1;
const STOP_DEADLINE_MS = 5_000;
/** After the process ended, how long its output may take to drain (a grandchild could hold the pipe). */
const DRAIN_TIMEOUT_MS = 2_000;

/**
 * The plugin folder that declares `request`'s command.
 *
 * @throws {CorralError} PLUGIN_NOT_FOUND or COMMAND_UNKNOWN (the request names nothing runnable);
 *   the folder's MANIFEST_INVALID or POLICY_DENIED; ENVIRONMENT (the plugins folder is unreadable).
 */
export async function locateCommand(request: CommandRequest, pluginsDir: string): Promise<LoadedManifest> {
  return findPluginCommand(await discoverPlugins(pluginsDir), pluginsDir, request.plugin, request.command);
}

/**
 * Runs `request`'s command of the plugin in `loaded` and resolves with its result once its
 * process has ended and its output has been written out. A command that ends its own process
 * (`Deno.exit(n)`) exits with that code.
 *
 * @throws {CorralError} MANIFEST_INVALID or POLICY_DENIED (the plugin may not run); INIT_FAILED,
 *   ENTRY_INVALID, MIGRATION_FAILED, START_TIMEOUT, DB_UNAVAILABLE (it did not start);
 *   COMMAND_UNKNOWN (its code does not define the command); PLUGIN_CRASHED, CALL_TIMEOUT (it did
 *   not finish); SHUTTING_DOWN (the signal aborted it).
 */
export async function runPluginCommand(loaded: LoadedManifest, request: CommandRequest, environment: CommandEnvironment): Promise<CommandRunResult> {
  const { logger, env } = environment;
  const { manifest } = loaded;
  const pluginLog = logger.forPlugin(manifest.name);
  assertHostApi(manifest.name, manifest.hostApi, loaded.file);
  const paths = resolveRuntimePaths(environment.dataDir, env);
  const basePolicy = await loadPolicy(environment.policyFile);

  const cleanups: Array<() => Promise<void>> = [];
  try {
    // Loaded only for plugins with a database: Kysely alone takes ~0.4 s to import.
    const databases = manifest.database ? await import("./command-database.ts") : undefined;
    const opened: OpenedHostDatabase | undefined = await databases?.openCommandHostDatabase({
      databaseUrl: environment.databaseUrl, dataDir: environment.dataDir, env, logger,
    });
    if (opened !== undefined) cleanups.push(() => opened.hostDb.close());
    const target = opened?.hostDb.connectionInfo ?? (await databaseTarget(environment.databaseUrl, environment.dataDir));
    const policy = withRuntimeDenies(basePolicy, runtimeDenies({
      hostPort: environment.hostPort,
      ...(target === undefined ? {} : { database: target }),
    }));
    const plan = buildLaunchPlan({ loaded, policy, paths, hostEnv: env });
    let database: PluginDatabase | undefined;
    if (opened !== undefined && databases !== undefined) {
      const pluginDatabase = database = await databases.openCommandPluginDatabase(opened, manifest, plan.grants.timeoutMs, pluginLog);
      cleanups.unshift(() => pluginDatabase.close());
    }

    // The command gets the host services that make sense without a running host: the cache (its own, empty).
    const services = new ServiceRegistry();
    registerCacheServices(services, new HostCache({ maxBytes: environment.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES }));
    const output = passThrough(environment);
    const process = new PluginProcess({
      name: manifest.name,
      version: manifest.version,
      plan,
      cwd: loaded.dir,
      logger: pluginLog,
      hostVersion: HOST_VERSION,
      entryUrl: pathToFileURL(loaded.entryPath).href,
      mountPath: `/plugins/${manifest.name}`,
      config: manifest.config,
      startTimeoutMs: policy.startTimeoutMs,
      maxFrameBytes: MAX_FRAME_BYTES,
      maxResponseBytes: Math.min(policy.limits.maxBodyBytes, MAX_FRAME_BYTES - 1024 * 1024),
      ...(database === undefined ? {} : { database }),
      services: (method, payloadJson) => services.dispatch({ name: manifest.name, manifest }, method, payloadJson),
      output: { stdout: output.stdout, stderr: output.stderr },
    });
    cleanups.unshift(async () => {
      if (process.pid === undefined) return; // never spawned
      await process.stop(`command ${manifest.name}:${request.command} finished`, STOP_DEADLINE_MS);
      await output.drained();
    });
    return await untilAborted(environment.signal, () => process.stop("interrupted", STOP_DEADLINE_MS), async () => {
      await process.start();
      return await call(process, request, environment.timeoutMs ?? NO_TIMEOUT_MS);
    });
  } finally {
    for (const cleanup of cleanups) {
      await cleanup().catch((error: unknown) => pluginLog.warn("clean-up after the command failed", { error: (error as Error).message }));
    }
  }
}

/** Calls `commands.run`; a command that ended its own process exits with the process's code. */
async function call(process: PluginProcess, request: CommandRequest, timeoutMs: number): Promise<CommandRunResult> {
  let answer: unknown;
  try {
    answer = await process.call("commands.run", { command: request.command, args: request.args }, timeoutMs);
  } catch (error) {
    if (error instanceof CorralError && error.code === ErrorCode.PLUGIN_CRASHED) {
      const reason = await process.exited;
      if (reason.kind === "exited" && reason.exitCode !== null) return { exitCode: reason.exitCode };
      throw new CorralError(ErrorCode.PLUGIN_CRASHED, `the plugin's process ended during the command: ${reason.message}`);
    }
    if (error instanceof CorralError && error.code === ErrorCode.CALL_TIMEOUT) {
      process.kill("stopped", "the command ran out of time");
      throw new CorralError(ErrorCode.CALL_TIMEOUT, `the command did not finish within ${timeoutMs / 1000} s (--timeout); it was stopped`);
    }
    throw error;
  }
  return checkResult(answer);
}

/** The plugin's answer is untrusted: an exit code from 0 to 255 and an optional error message. */
function checkResult(answer: unknown): CommandRunResult {
  const { exitCode, error } = (answer ?? {}) as { exitCode?: unknown; error?: { message?: unknown; stack?: unknown } };
  if (typeof exitCode !== "number" || !Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
    throw new CorralError(ErrorCode.CALL_FAILED, `the plugin answered "commands.run" with ${JSON.stringify(answer)?.slice(0, 200)}, not { exitCode: 0-255 }`);
  }
  if (error === undefined || typeof error !== "object" || error === null || typeof error.message !== "string") return { exitCode };
  return { exitCode, error: { message: error.message, ...(typeof error.stack === "string" ? { stack: error.stack } : {}) } };
}

/** Runs `work`; when `signal` aborts first, runs `stop` and rejects with SHUTTING_DOWN. */
async function untilAborted<T>(signal: AbortSignal | undefined, stop: () => Promise<unknown>, work: () => Promise<T>): Promise<T> {
  if (signal === undefined) return await work();
  if (signal.aborted) throw interrupted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => void stop().finally(() => reject(interrupted()));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  const running = work();
  running.catch(() => undefined); // after an abort its rejection (the process was stopped) is expected
  try {
    return await Promise.race([running, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort!);
  }
}

function interrupted(): CorralError {
  return new CorralError(ErrorCode.SHUTTING_DOWN, "the command was interrupted");
}

/**
 * Streams the plugin's stdout and stderr into the environment's, without ending them; `drained`
 * resolves once everything the process wrote has been handed on.
 */
function passThrough(environment: CommandEnvironment): {
  stdout: PassThrough;
  stderr: PassThrough;
  drained(): Promise<void>;
} {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.pipe(environment.stdout, { end: false });
  stderr.pipe(environment.stderr, { end: false });
  const ended = Promise.all([finished(stdout), finished(stderr)]).then(() => undefined, () => undefined);
  return {
    stdout,
    stderr,
    drained: () => Promise.race([ended, new Promise<void>((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS).unref())]),
  };
}
