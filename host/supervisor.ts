/**
 * Keeps one plugin running: starts its process, restarts it with exponential backoff when it
 * dies, enforces its memory limit by sampling RSS, declares it failed after repeated crashes,
 * and reports all of it for /health.
 */
import { pathToFileURL } from "node:url";
import { CorralError, ErrorCode } from "../schemas/errors.ts";
import type { ErrorCodeValue } from "../schemas/errors.ts";
import { CpuWindow, DEFAULT_CPU_WINDOW_MS } from "./instances/cpu-window.ts";
import type { ResponseMessage } from "../schemas/messages.ts";
import type { Logger } from "./logger.ts";
import type { LoadedManifest, Manifest } from "./manifest/manifest.ts";
import type { ServiceRegistry } from "./services/registry.ts";
import type { Grants, LaunchPlan } from "./permission-flags.ts";
import { PluginProcess } from "./plugin-process.ts";
import type { DatabaseService, ExitReason } from "./plugin-process.ts";
import type { MigrateAction } from "../schemas/messages.ts";
import { sampleTree } from "./process-tree.ts";
import type { TreeSample } from "./process-tree.ts";
import { startPingLoop } from "./monitoring/ping-loop.ts";
import type { StateChange } from "./monitoring/state-history.ts";

/**
 * `idle`: a lazy plugin with no process, started by its next request (host/instances/).
 * `disabled`: the operator turned the plugin off (host/manager/). A supervisor itself reports neither.
 */
export type PluginState = "idle" | "starting" | "ready" | "restarting" | "failed" | "stopping" | "stopped" | "disabled";

/** How the supervisor reacts to crashes. */
export interface RestartPolicy {
  /** Delay before the first restart; doubles with each consecutive crash. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** This many crashes within `windowMs` make the plugin "failed". */
  readonly maxCrashes: number;
  readonly windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  baseDelayMs: 200,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  windowMs: 60_000,
};

/**
 * RSS allowed on top of `limits.memoryMb` (which bounds V8's old generation exactly): an idle
 * Deno with Hono and the runner takes ~45 MB, V8's young generation up to 48 MB (3 semi-spaces
 * of 16 MB) and code space on top. With 96 MB, a heap bomb at memoryMb 64 was sometimes caught
 * by the RSS sampler (160 MB) just before V8's own heap limit, which reports the cause better.
 */
export const RSS_OVERHEAD_MB = 128;

export interface SupervisorOptions {
  readonly loaded: LoadedManifest;
  readonly plan: LaunchPlan;
  readonly logger: Logger;
  readonly hostVersion: string;
  readonly startTimeoutMs: number;
  readonly maxFrameBytes: number;
  /** Largest response body a plugin may send. */
  readonly maxResponseBytes: number;
  readonly restart?: RestartPolicy;
  readonly memorySampleIntervalMs?: number;
  /** How long a plugin whose request timed out has to answer a ping before it is restarted. */
  readonly pingTimeoutMs?: number;
  /** The plugin's own database, for plugins with `"database": true`. */
  readonly database?: PluginDatabaseHandle;
  /** Told about every state change, with why (the host records it in its database). */
  readonly onStateChange?: (state: PluginState, change: StateChange) => void;
  /** Liveness pings while ready (host policy `monitoring`); none when missing. */
  readonly ping?: { readonly intervalMs: number; readonly timeoutMs: number };
  /** The same launch with the V8 inspector on (withInspector), used while debugging is on. */
  readonly inspectorPlan?: LaunchPlan;
  /** Run with the V8 inspector on (needs `inspectorPlan`); ManagedPlugin.setInspector swaps in a supervisor with the other setting. */
  readonly inspect?: boolean;
  /** The host services the plugin may call (each checks the plugin's manifest). */
  readonly services?: ServiceRegistry;
  /** Kill the process (reason `cpu-limit`) when its CPU use over a whole window passes this. */
  readonly cpuQuota?: CpuQuota;
}

/** `limits.cpuPercent` over `windowMs`: 100 is one core busy for the whole window. */
export interface CpuQuota {
  readonly percent: number;
  readonly windowMs: number;
}

/** The database calls plus the clean-up the supervisor runs when a process ends. */
export interface PluginDatabaseHandle extends DatabaseService {
  /** The role it logs in as, its pool size and its counters, for /health. */
  describe(): object;
  /** Rolls back the dead process's transactions and frees its connections. */
  releaseAll(reason: string): Promise<void>;
}

/** One request to forward, already cut down to what the protocol carries. */
export interface ForwardRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: string;
  readonly body: Uint8Array;
  readonly remoteAddress: string;
}

/** A crash as remembered for /health. */
export interface CrashRecord extends ExitReason {
  readonly restartInMs: number | null;
}

/**
 * What the plugin's processes have used, summed over every process it has run (a process's last
 * 200 ms sampling interval before it ended is not counted). For metrics: all only ever grow.
 */
export interface PluginUsage {
  /** Processes spawned: the first start, restarts, and any later start (cold starts). */
  readonly processStarts: number;
  /** User + system CPU time of the plugin's process trees. */
  readonly cpuSeconds: number;
  /** Bytes its process trees read from and wrote to storage (/proc/PID/io). */
  readonly diskReadBytes: number;
  readonly diskWriteBytes: number;
}

/** What /health shows for one plugin. */
export interface PluginHealth {
  readonly name: string;
  readonly version: string;
  readonly state: PluginState;
  readonly isolation: Grants["isolation"];
  readonly grants: Grants;
  readonly pid: number | null;
  readonly restarts: number;
  readonly inFlight: number;
  readonly rssBytes: number | null;
  readonly lastExit: CrashRecord | null;
  readonly failure: string | null;
  readonly readySince: string | null;
  /** The plugin's database (role, pool, query counters), for plugins with `"database": true`. */
  readonly database: object | null;
  /** CPU, disk and process starts, summed over the plugin's processes (metrics read these). */
  readonly usage: PluginUsage;
  /** The last failure or crash, with when. */
  readonly lastError: { readonly at: string; readonly message: string } | null;
  /** Round trip of the last answered liveness ping, and when it was answered. */
  readonly ping: { readonly latencyMs: number; readonly at: string } | null;
  /** The V8 inspector, while debugging is on: its WebSocket URL (loopback) once known. */
  readonly inspector: { readonly url: string | null } | null;
  /** CPU use of the running process tree over the last CPU window (100 = one core), null when not running. */
  readonly cpuPercent?: number | null;
}

/** Deterministic start failures: restarting cannot fix them. */
const FATAL_START_CODES: ReadonlySet<string> = new Set([
  ErrorCode.PROTOCOL_VERSION,
  ErrorCode.ENTRY_INVALID,
  ErrorCode.MIGRATION_FAILED,
]);

/** A `PluginHandle` (host/plugins/plugin-handle.ts; checked where one is built: host/manager/create-handle.ts). */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #log: Logger;
  readonly #restartPolicy: RestartPolicy;
  #state: PluginState = "stopped";
  #process: PluginProcess | undefined;
  #starting: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartAt = 0;
  #crashTimes: number[] = [];
  #consecutiveCrashes = 0;
  #restarts = 0;
  #lastExit: CrashRecord | null = null;
  #failure: string | null = null;
  #readySince: Date | null = null;
  #rssBytes: number | null = null;
  #cpuPercent: number | null = null;
  #memoryTimer: NodeJS.Timeout | undefined;
  #processStarts = 0;
  /** The running process tree's last sample, and the totals of the processes before it. */
  #lastSample: TreeSample | undefined;
  #pastUsage = { cpuMs: 0, readBytes: 0, writeBytes: 0 };
  #checkingLiveness = false;
  #released: Promise<void> | undefined;
  #lastError: { at: string; message: string } | null = null;
  #ping: { latencyMs: number; at: string } | null = null;
  #stopPing: (() => void) | undefined;
  /** Fixed for the supervisor's life: the manager turns debugging on or off by swapping in a new one. */
  readonly #inspect: boolean;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#inspect = options.inspect === true && options.inspectorPlan !== undefined;
    this.#log = options.logger;
    this.#restartPolicy = options.restart ?? DEFAULT_RESTART_POLICY;
  }

  get name(): string {
    return this.#options.loaded.manifest.name;
  }

  get version(): string {
    return this.#options.loaded.manifest.version;
  }

  /** The plugin's manifest, with defaults applied. */
  get manifest(): Manifest {
    return this.#options.loaded.manifest;
  }

  /** The plugin's folder (real path). */
  get dir(): string {
    return this.#options.loaded.dir;
  }

  get state(): PluginState {
    return this.#state;
  }

  #setState(state: PluginState, reason: string): void {
    if (this.#state === state) return;
    const change: StateChange = { at: new Date().toISOString(), from: this.#state, to: state, reason };
    this.#state = state;
    this.#options.onStateChange?.(state, change);
  }

  /** The running process's inspector URL, when it runs with the inspector and Deno has printed it. */
  get inspectorUrl(): string | undefined {
    return this.#inspect && this.#process?.ready ? this.#process.inspectorUrl : undefined;
  }

  get grants(): Grants {
    return this.#options.plan.grants;
  }

  /** Starts the plugin; resolves when it is ready or its first start failed (a restart is then due). */
  start(reason = "started by the host"): Promise<void> {
    if (this.#state === "stopping" || this.#state === "stopped") this.#setState("starting", reason);
    this.#starting ??= this.#spawn().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  /**
   * Forwards one request to the plugin.
   *
   * @throws {CorralError} PLUGIN_FAILED, PLUGIN_UNAVAILABLE (with `retryAfterSeconds`),
   * REQUEST_TIMEOUT, PLUGIN_CRASHED, HANDLER_FAILED, SHUTTING_DOWN.
   */
  handle(request: ForwardRequest): Promise<ResponseMessage> {
    const timeoutMs = this.grants.timeoutMs;
    // Not an async function: when ready (nearly always) the answer is the process's own promise
    // plus one catch, not two more layers of promises per request (D33-perf).
    if (this.#state !== "ready") return this.#awaitReady(timeoutMs).then(() => this.#request(request, timeoutMs));
    return this.#request(request, timeoutMs);
  }

  #request(request: ForwardRequest, timeoutMs: number): Promise<ResponseMessage> {
    const process = this.#process!;
    return process.request({ type: "request", ...request }, timeoutMs).catch((error: unknown) => {
      if (error instanceof CorralError && error.code === ErrorCode.REQUEST_TIMEOUT) this.#checkLiveness(process, timeoutMs, "a request");
      throw error;
    });
  }

  /**
   * Calls one of the plugin's entry points (hooks, event delivery...) without waiting for a
   * restart: a plugin that is not ready is PLUGIN_UNAVAILABLE at once, so callers can apply
   * their own failure policy.
   *
   * @throws {CorralError} PLUGIN_UNAVAILABLE, CALL_TIMEOUT, PLUGIN_CRASHED, CALL_UNKNOWN, CALL_FAILED.
   */
  call(method: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const process = this.#process;
    if (this.#state !== "ready" || process === undefined) {
      return Promise.reject(new CorralError(ErrorCode.PLUGIN_UNAVAILABLE, `plugin "${this.name}" is ${this.#state}, not ready`));
    }
    return process.call(method, payload, timeoutMs).catch((error: unknown) => {
      // A call that times out raises the same question as a request that does: is it stuck?
      if (error instanceof CorralError && error.code === ErrorCode.CALL_TIMEOUT) this.#checkLiveness(process, timeoutMs, `a call to "${method}"`);
      throw error;
    });
  }

  /** Asks the running plugin to report, apply or undo its migrations (operator action). */
  async migrate(action: MigrateAction, timeoutMs = 60_000): Promise<unknown> {
    if (this.#state !== "ready") await this.#awaitReady(timeoutMs);
    return JSON.parse(await this.#process!.migrate(action, timeoutMs));
  }

  /** Stops the plugin: shutdown hook first, then a kill after `deadlineMs`. */
  async stop(reason: string, deadlineMs: number): Promise<void> {
    this.#setState("stopping", reason);
    clearTimeout(this.#restartTimer);
    this.#stopMemoryWatch();
    this.#stopPing?.();
    this.#stopPing = undefined;
    await this.#process?.stop(reason, deadlineMs);
    await this.#options.database?.releaseAll(`plugin stopped: ${reason}`);
    this.#setState("stopped", reason);
  }

  health(): PluginHealth {
    const process = this.#process;
    return {
      name: this.name,
      version: this.version,
      state: this.#state,
      isolation: this.grants.isolation,
      grants: this.grants,
      pid: process?.ready ? process.pid ?? null : null,
      restarts: this.#restarts,
      inFlight: process?.inFlight ?? 0,
      rssBytes: process?.ready ? this.#rssBytes : null,
      lastExit: this.#lastExit,
      failure: this.#failure,
      readySince: this.#readySince?.toISOString() ?? null,
      database: this.#options.database?.describe() ?? null,
      lastError: this.#lastError,
      ping: process?.ready ? this.#ping : null,
      inspector: this.#inspect ? { url: this.inspectorUrl ?? null } : null,
      usage: this.#usage(),
      cpuPercent: process?.ready ? this.#cpuPercent : null,
    };
  }

  #usage(): PluginUsage {
    const past = this.#pastUsage;
    const now = this.#lastSample;
    return {
      processStarts: this.#processStarts,
      cpuSeconds: (past.cpuMs + (now?.cpuMs ?? 0)) / 1000,
      diskReadBytes: past.readBytes + (now?.readBytes ?? 0),
      diskWriteBytes: past.writeBytes + (now?.writeBytes ?? 0),
    };
  }

  async #spawn(): Promise<void> {
    await this.#released;
    const { loaded, logger, hostVersion, startTimeoutMs, maxFrameBytes, maxResponseBytes } = this.#options;
    const plan = this.#inspect && this.#options.inspectorPlan !== undefined ? this.#options.inspectorPlan : this.#options.plan;
    const process = new PluginProcess({
      name: loaded.manifest.name,
      version: loaded.manifest.version,
      plan,
      cwd: loaded.dir,
      logger,
      hostVersion,
      entryUrl: pathToFileURL(loaded.entryPath).href,
      mountPath: `/plugins/${loaded.manifest.name}`,
      config: loaded.manifest.config ?? {},
      startTimeoutMs,
      maxFrameBytes,
      maxResponseBytes,
      ...(this.#options.database === undefined ? {} : { database: this.#options.database }),
      ...(this.#options.services === undefined ? {} : {
        services: (method: string, payloadJson: string) =>
          this.#options.services!.dispatch({ name: this.name, manifest: this.manifest }, method, payloadJson),
      }),
    });
    this.#process = process;
    this.#processStarts++;
    void process.exited.then((reason) => this.#onExit(process, reason));
    try {
      await process.start();
    } catch (error) {
      const message = (error as Error).message;
      this.#log.error("plugin failed to start", { error: message });
      this.#lastError = { at: new Date().toISOString(), message: `start failed: ${message}` };
      if (error instanceof CorralError && FATAL_START_CODES.has(error.code)) {
        this.#fail(message);
      }
      return; // #onExit schedules the restart (or declares failure).
    }
    if (this.#process !== process || this.#state === "stopping" || this.#state === "stopped") return;
    this.#setState("ready", `process ${process.pid ?? "?"} is ready${this.#inspect ? " (with the V8 inspector)" : ""}`);
    this.#readySince = new Date();
    this.#startMemoryWatch(process);
    this.#startPing(process);
  }

  #onExit(process: PluginProcess, reason: ExitReason): void {
    if (this.#process !== process) return;
    this.#stopMemoryWatch();
    this.#stopPing?.();
    this.#stopPing = undefined;
    const servedMs = this.#readySince === null ? 0 : Date.now() - this.#readySince.getTime();
    // The dead process's open transactions must not outlive it; the next process waits for this.
    this.#released = this.#options.database?.releaseAll(`plugin process ended: ${reason.message}`)
      .catch((error: unknown) => this.#log.error("could not release the plugin's database connections", { error: (error as Error).message }));
    this.#readySince = null;
    if (this.#state === "stopping" || this.#state === "stopped") return;
    if (reason.kind !== "stopped") {
      this.#lastError = { at: reason.at, message: `${reason.kind}: ${reason.message}` };
      this.#log.error("plugin process ended", { reason: reason.kind, detail: reason.message, exitCode: reason.exitCode, signal: reason.signal });
    }
    const now = Date.now();
    const policy = this.#restartPolicy;
    // A process that served for a whole window was healthy: its crash starts the backoff afresh.
    if (servedMs >= policy.windowMs) this.#consecutiveCrashes = 0;
    this.#crashTimes = [...this.#crashTimes.filter((t) => now - t < policy.windowMs), now];
    this.#consecutiveCrashes++;
    if (this.#state === "failed") {
      this.#lastExit = { ...reason, restartInMs: null };
      return;
    }
    if (this.#crashTimes.length >= policy.maxCrashes) {
      this.#lastExit = { ...reason, restartInMs: null };
      this.#fail(`crashed ${this.#crashTimes.length} times within ${policy.windowMs / 1000} s; last: ${reason.message}`);
      return;
    }
    const delay = Math.min(policy.baseDelayMs * 2 ** (this.#consecutiveCrashes - 1), policy.maxDelayMs);
    this.#lastExit = { ...reason, restartInMs: delay };
    this.#setState("restarting", `${reason.kind}: ${reason.message}; restarting in ${delay} ms`);
    this.#restartAt = now + delay;
    this.#log.warn("restarting plugin", { inMs: delay, attempt: this.#consecutiveCrashes });
    this.#restartTimer = setTimeout(() => {
      this.#restarts++;
      this.#starting ??= this.#spawn().finally(() => (this.#starting = undefined));
    }, delay);
  }

  #fail(message: string): void {
    // The failure first: whoever is told about the state change reads it (the failed event's reason).
    this.#failure = message;
    this.#lastError = { at: new Date().toISOString(), message };
    this.#setState("failed", message);
    clearTimeout(this.#restartTimer);
    this.#log.error("plugin failed; not restarting it", { reason: message });
  }

  async #awaitReady(timeoutMs: number): Promise<void> {
    switch (this.#state) {
      case "failed":
        throw new CorralError(ErrorCode.PLUGIN_FAILED,
          `plugin "${this.name}" has failed and is not running: ${this.#failure}. Fix it, then reload it.`);
      case "stopping":
      case "stopped":
        throw new CorralError(ErrorCode.SHUTTING_DOWN, `plugin "${this.name}" is stopped`);
      default:
        break;
    }
    const deadline = Date.now() + timeoutMs;
    // A restart that is due soon is worth waiting for: the request then succeeds.
    if (this.#state === "restarting" && this.#starting === undefined) {
      const wait = this.#restartAt - Date.now();
      if (wait > timeoutMs) throw unavailable(this.name, wait);
      await delay(Math.max(wait, 0) + 1);
    }
    const starting = this.#starting;
    if (starting !== undefined) {
      const remaining = deadline - Date.now();
      const timedOut = await Promise.race([starting.then(() => false), delay(remaining).then(() => true)]);
      if (timedOut) throw unavailable(this.name, 1000);
    }
    // The state may have changed while waiting; TypeScript's narrowing cannot see that.
    const state = this.#state as PluginState;
    if (state !== "ready") {
      if (state === "failed") return this.#awaitReady(0);
      throw unavailable(this.name, Math.max(this.#restartAt - Date.now(), 1000));
    }
  }

  /** After a timeout: a plugin that cannot even answer a ping is stuck (e.g. an endless loop). */
  #checkLiveness(process: PluginProcess, timeoutMs: number, what: string): void {
    if (this.#checkingLiveness) return;
    this.#checkingLiveness = true;
    const pingTimeoutMs = this.#options.pingTimeoutMs ?? 1000;
    void process.ping(pingTimeoutMs).then((alive) => {
      this.#checkingLiveness = false;
      if (!alive && process.ready) {
        process.kill("unresponsive",
          `${what} timed out after ${timeoutMs} ms and the plugin did not answer a ping within ${pingTimeoutMs} ms`);
      }
    });
  }

  #startMemoryWatch(process: PluginProcess): void {
    const limitBytes = (this.grants.memoryMb + RSS_OVERHEAD_MB) * 1024 * 1024;
    const interval = this.#options.memorySampleIntervalMs ?? 200;
    const pid = process.pid;
    if (pid === undefined) return;
    const cpu = new CpuWindow(this.#options.cpuQuota?.windowMs ?? DEFAULT_CPU_WINDOW_MS);
    let sampling = false;
    this.#memoryTimer = setInterval(() => {
      if (sampling) return;
      sampling = true;
      void sampleTree(pid).then((sample) => {
        sampling = false;
        // After #stopMemoryWatch the process's usage is already counted: a late sample would count twice.
        if (sample === null || this.#process !== process || this.#memoryTimer === undefined) return;
        this.#rssBytes = sample.rssBytes;
        this.#lastSample = sample;
        const cpuPercent = cpu.add(Date.now(), sample.cpuMs);
        this.#cpuPercent = cpuPercent;
        const quota = this.#options.cpuQuota;
        if (quota !== undefined && cpu.full && cpuPercent !== null && cpuPercent > quota.percent) {
          process.kill("cpu-limit",
            `CPU use ${cpuPercent}% over the last ${quota.windowMs} ms passed the limit of ${quota.percent}% ` +
              `(limits.cpuPercent; ${Math.round(cpu.spentMs)} ms of CPU time in ${Math.round(cpu.spanMs)} ms)`);
          return;
        }
        if (sample.rssBytes > limitBytes) {
          process.kill("memory-limit",
            `resident memory ${mb(sample.rssBytes)} MB passed the limit of ${mb(limitBytes)} MB ` +
              `(limits.memoryMb ${this.grants.memoryMb} + ${RSS_OVERHEAD_MB} MB runtime overhead)`);
        }
      });
    }, interval);
    this.#memoryTimer.unref();
  }

  #stopMemoryWatch(): void {
    clearInterval(this.#memoryTimer);
    this.#memoryTimer = undefined;
    this.#rssBytes = null;
    this.#cpuPercent = null;
    // The ended process's usage joins the totals.
    const last = this.#lastSample;
    if (last !== undefined) {
      this.#pastUsage = {
        cpuMs: this.#pastUsage.cpuMs + last.cpuMs,
        readBytes: this.#pastUsage.readBytes + last.readBytes,
        writeBytes: this.#pastUsage.writeBytes + last.writeBytes,
      };
      this.#lastSample = undefined;
    }
  }

  /** Periodic liveness pings while ready: two missed in a row kill the process as unresponsive. */
  #startPing(process: PluginProcess): void {
    const ping = this.#options.ping;
    if (ping === undefined) return;
    this.#stopPing?.();
    this.#ping = null;
    this.#stopPing = startPingLoop(process, {
      ...ping,
      onPong: (latencyMs) => (this.#ping = { latencyMs: Math.round(latencyMs * 100) / 100, at: new Date().toISOString() }),
      onUnresponsive: (message) => {
        if (this.#process === process && process.ready) process.kill("unresponsive", message);
      },
    });
  }
}

/** A 503-worthy error that says when to try again. */
export class UnavailableError extends CorralError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, code: ErrorCodeValue = ErrorCode.PLUGIN_UNAVAILABLE) {
    super(code, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

function unavailable(name: string, waitMs: number): UnavailableError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new UnavailableError(`plugin "${name}" is restarting; try again in ${seconds} s`, seconds);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0)));
}

function mb(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}
