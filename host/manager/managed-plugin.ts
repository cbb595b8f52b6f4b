/**
 * One plugin name as the rest of the host sees it: a `PluginHandle` that stays the same while
 * the manager changes what stands behind it. Requests go to the active deployment; a swap starts
 * the next one, waits until it is ready, switches new requests to it, then drains the old one
 * (its requests in flight finish there) and stops it. A disabled plugin has no deployment and
 * answers PLUGIN_DISABLED (503).
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { MigrateAction, ResponseMessage } from "../../schemas/messages.ts";
import type { Logger } from "../logger.ts";
import type { LoadedManifest, Manifest } from "../manifest/manifest.ts";
import type { Grants } from "../permission-flags.ts";
import type { PluginHandle } from "../plugins/plugin-handle.ts";
import type { ForwardRequest, PluginHealth, PluginState } from "../supervisor.ts";
import type { Deployment, DeploymentFactory } from "./create-handle.ts";
import { InFlight } from "./in-flight.ts";
import { StateHistory } from "../monitoring/state-history.ts";
import type { StateChange } from "../monitoring/state-history.ts";

/** Why a plugin is disabled, as /health and the admin API show it. */
export interface DisabledInfo {
  readonly by: string;
  readonly reason: string | null;
  readonly at: string;
  /** The plugin whose disabling took this one down too. */
  readonly with: string | null;
}

/** The last swap (reload, restart, version switch) and how it went. */
export interface SwapRecord {
  readonly at: string;
  readonly kind: "restart" | "reload" | "activate" | "inspector";
  readonly version: string;
  readonly ok: boolean;
  /** Why the new deployment did not take over (the old one kept serving). */
  readonly error: string | null;
}

/** What /health shows for a managed plugin, on top of its deployment's report. */
export interface ManagedHealth extends PluginHealth {
  readonly enabled: boolean;
  readonly disabled: DisabledInfo | null;
  readonly lastSwap: SwapRecord | null;
}

/** What a managed plugin tells the host. */
export interface ManagedPluginHooks {
  /** The active deployment's state changed (or the plugin became `disabled`), with when and why. */
  stateChanged(name: string, state: PluginState, change: StateChange): void;
  /** Before a deployment of `loaded` starts (static files are compiled for it). */
  prepare(loaded: LoadedManifest): Promise<void>;
  /** New requests now go to a new deployment (cached answers of the old one are stale). */
  switched(name: string): void;
}

export interface ManagedPluginOptions {
  readonly loaded: LoadedManifest;
  readonly factory: DeploymentFactory;
  readonly hooks: ManagedPluginHooks;
  readonly log: Logger;
  /** How long an old deployment's requests may take to finish before it is stopped anyway. */
  readonly drainMs: number;
  /** How long a stopping process gets for its shutdown hook. */
  readonly stopDeadlineMs: number;
}

export type SwapOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

export class ManagedPlugin implements PluginHandle {
  readonly #options: ManagedPluginOptions;
  #loaded: LoadedManifest;
  #grants: Grants;
  #current: Deployment | undefined;
  #counters = new Map<Deployment, InFlight>();
  #disabled: DisabledInfo | null = null;
  #lastSwap: SwapRecord | null = null;
  #closed = false;
  /** Every state the plugin was in, across deployments: a swap does not forget the old process's story. */
  readonly #history = new StateHistory();
  #reportedState: PluginState = "stopped";
  /** Whether deployments start with the V8 inspector (kept across swaps, changed by setInspector). */
  #inspect = false;

  constructor(options: ManagedPluginOptions) {
    this.#options = options;
    this.#loaded = options.loaded;
    this.#grants = options.factory.grants(options.loaded);
  }

  get name(): string {
    return this.#loaded.manifest.name;
  }

  get version(): string {
    return this.#loaded.manifest.version;
  }

  get manifest(): Manifest {
    return this.#loaded.manifest;
  }

  get dir(): string {
    return this.#loaded.dir;
  }

  get loaded(): LoadedManifest {
    return this.#loaded;
  }

  get grants(): Grants {
    return this.#grants;
  }

  get state(): PluginState {
    if (this.#disabled !== null) return "disabled";
    return this.#current?.handle.state ?? "stopped";
  }

  get isDisabled(): boolean {
    return this.#disabled !== null;
  }

  /** Marks the plugin disabled before it ever ran (disabled at host start). */
  markDisabled(info: DisabledInfo): void {
    this.#disabled = info;
    this.#announce("disabled", disabledReason(info));
  }

  /** The last state changes (oldest first), each with when and why, across swaps. */
  history(): readonly StateChange[] {
    return this.#history.list();
  }

  /** Whether the plugin runs (or will, after the swap under way) with the V8 inspector. */
  get inspecting(): boolean {
    return this.#inspect;
  }

  /** The active process's inspector URL, while debugging is on and Deno has printed it. */
  get inspectorUrl(): string | undefined {
    return this.#inspect ? this.#current?.handle.inspectorUrl : undefined;
  }

  /**
   * Turns the V8 inspector on or off: a launch option, so a new process takes over by swap and
   * no request fails. A new process that does not become ready leaves the old one serving.
   *
   * @throws {CorralError} INSPECTOR_FAILED when the swap failed; PLUGIN_DISABLED when disabled.
   */
  async setInspector(on: boolean, reason: string): Promise<void> {
    if (this.#inspect === on) return;
    this.#active();
    this.#inspect = on;
    const outcome = await this.swap(this.#loaded, "inspector", reason);
    if (!outcome.ok) {
      this.#inspect = !on;
      throw new CorralError(ErrorCode.INSPECTOR_FAILED,
        `could not ${on ? "start" : "stop"} the V8 inspector of plugin "${this.name}" (${reason}): ${outcome.error}`);
    }
  }

  /**
   * Creates the first deployment (or, after `disable`, a new one) of `loaded` and starts it;
   * resolves when it is ready or its first start failed.
   */
  async deploy(loaded: LoadedManifest = this.#loaded): Promise<void> {
    if (this.#current !== undefined) throw new Error(`plugin "${this.name}" already has a deployment; swap it`);
    this.#grants = this.#options.factory.grants(loaded);
    this.#loaded = loaded;
    await this.#options.hooks.prepare(loaded);
    const deployment = await this.#create(loaded);
    this.#current = deployment;
    this.#disabled = null;
    this.#announce(deployment.handle.state, `version ${loaded.manifest.version} deployed`);
  }

  /** Starts the active deployment (the host's first start). */
  start(): Promise<void> {
    return this.#current?.handle.start() ?? Promise.resolve();
  }

  /**
   * Replaces the active deployment by a new one of `loaded` without failing a request: the new
   * one starts and must become ready; only then do new requests go to it, and the old one is
   * drained and stopped. A new deployment that does not become ready is stopped and the old one
   * keeps serving; the outcome says why.
   */
  async swap(loaded: LoadedManifest, kind: SwapRecord["kind"], why?: string): Promise<SwapOutcome> {
    const log = this.#options.log;
    const previous = this.#current;
    let next: Deployment;
    try {
      this.#options.factory.grants(loaded); // the policy check, before anything starts
      await this.#options.hooks.prepare(loaded);
      next = await this.#create(loaded);
    } catch (error) {
      return this.#swapFailed(kind, loaded, (error as Error).message);
    }
    await next.handle.start();
    // A failed first start is reported (lastExit, failure) once its process's exit is handled.
    const settleBy = Date.now() + 3000;
    while (next.handle.state === "starting" && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 10));
    // Idle: a lazy plugin (host/instances/) has no process until its first request.
    if ((next.handle.state !== "ready" && next.handle.state !== "idle") || this.#closed) {
      const health = next.handle.health();
      const why = health.failure ?? health.lastExit?.message ?? `it ended up ${next.handle.state}`;
      await next.close(`${kind} abandoned: ${why}`, this.#options.stopDeadlineMs);
      this.#counters.delete(next);
      if (previous !== undefined) await this.#options.hooks.prepare(previous.loaded).catch(() => undefined);
      return this.#swapFailed(kind, loaded, why);
    }
    this.#current = next;
    this.#loaded = loaded;
    this.#grants = next.handle.grants;
    this.#lastSwap = { at: new Date().toISOString(), kind, version: loaded.manifest.version, ok: true, error: null };
    this.#options.hooks.switched(this.name);
    this.#announce(next.handle.state,
      `${why ?? kind}: process ${next.handle.health().pid ?? "?"} (version ${loaded.manifest.version}) took over`);
    log.info(`${kind}: switched to the new process`, { version: loaded.manifest.version, dir: loaded.dir, pid: next.handle.health().pid });
    if (previous !== undefined) await this.#retire(previous, `replaced (${kind})`);
    return { ok: true };
  }

  /** New requests get PLUGIN_DISABLED at once; those in flight finish; then the process stops. */
  async disable(info: DisabledInfo): Promise<void> {
    this.#disabled = info;
    const previous = this.#current;
    this.#current = undefined;
    this.#announce("disabled", disabledReason(info));
    if (previous !== undefined) await this.#retire(previous, "disabled");
  }

  handle(request: ForwardRequest): Promise<ResponseMessage> {
    const deployment = this.#active();
    return this.#counters.get(deployment)!.run(() => deployment.handle.handle(request));
  }

  call(method: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const deployment = this.#current;
    if (deployment === undefined) {
      return Promise.reject(new CorralError(ErrorCode.PLUGIN_UNAVAILABLE, `plugin "${this.name}" is ${this.state}, not ready`));
    }
    return this.#counters.get(deployment)!.run(() => deployment.handle.call(method, payload, timeoutMs));
  }

  migrate(action: MigrateAction, timeoutMs?: number): Promise<unknown> {
    const deployment = this.#current;
    if (deployment === undefined) {
      return Promise.reject(new CorralError(ErrorCode.OPERATION_INVALID,
        `plugin "${this.name}" is ${this.state}: its migrations run inside its process; enable it first`));
    }
    return this.#counters.get(deployment)!.run(() => deployment.handle.migrate(action, timeoutMs));
  }

  /** Stops the active deployment for good (host shutdown, uninstall); nothing is swapped in after. */
  async stop(reason: string, deadlineMs: number): Promise<void> {
    this.#closed = true;
    const deployment = this.#current;
    if (deployment === undefined) return;
    await deployment.close(reason, deadlineMs);
  }

  health(): ManagedHealth {
    const base: PluginHealth = this.#current?.handle.health() ?? {
      name: this.name,
      version: this.version,
      state: this.state,
      isolation: this.#grants.isolation,
      grants: this.#grants,
      pid: null,
      restarts: 0,
      inFlight: 0,
      rssBytes: null,
      lastExit: null,
      failure: null,
      readySince: null,
      database: null,
      usage: { processStarts: 0, cpuSeconds: 0, diskReadBytes: 0, diskWriteBytes: 0 },
      lastError: null,
      ping: null,
      inspector: null,
    };
    return { ...base, state: this.state, enabled: this.#disabled === null, disabled: this.#disabled, lastSwap: this.#lastSwap };
  }

  #active(): Deployment {
    if (this.#disabled !== null) {
      throw new CorralError(ErrorCode.PLUGIN_DISABLED,
        `plugin "${this.name}" is disabled${this.#disabled.reason ? ` (${this.#disabled.reason})` : ""}; an operator can enable it: POST /admin/plugins/${this.name}/enable`);
    }
    const deployment = this.#current;
    if (deployment === undefined) throw new CorralError(ErrorCode.SHUTTING_DOWN, `plugin "${this.name}" is stopped`);
    return deployment;
  }

  async #create(loaded: LoadedManifest): Promise<Deployment> {
    let deployment: Deployment | undefined;
    const onState = (state: PluginState, change: StateChange) => {
      if (deployment !== undefined && deployment === this.#current) this.#announce(state, change.reason);
    };
    deployment = await this.#options.factory.create(loaded, onState, { inspect: this.#inspect });
    this.#counters.set(deployment, new InFlight());
    return deployment;
  }

  /** Waits for the deployment's requests to finish (bounded), then stops it. */
  async #retire(deployment: Deployment, reason: string): Promise<void> {
    const counter = this.#counters.get(deployment);
    const drained = await (counter?.idle(this.#options.drainMs) ?? Promise.resolve(true));
    if (!drained) this.#options.log.warn("stopping the old process with requests still in flight", { inFlight: counter?.count, afterMs: this.#options.drainMs });
    await deployment.close(reason, this.#options.stopDeadlineMs);
    this.#counters.delete(deployment);
  }

  /** Records a state change of the plugin as a whole and tells the host. */
  #announce(state: PluginState, reason: string): void {
    const change: StateChange = { at: new Date().toISOString(), from: this.#reportedState, to: state, reason };
    this.#reportedState = state;
    this.#history.record(change);
    this.#options.hooks.stateChanged(this.name, state, change);
  }

  #swapFailed(kind: SwapRecord["kind"], loaded: LoadedManifest, error: string): SwapOutcome {
    this.#lastSwap = { at: new Date().toISOString(), kind, version: loaded.manifest.version, ok: false, error };
    this.#options.log.error(`${kind} failed; the running process keeps serving`, { version: loaded.manifest.version, dir: loaded.dir, error });
    return { ok: false, error };
  }
}

function disabledReason(info: DisabledInfo): string {
  return `disabled by ${info.by}${info.with === null ? "" : ` with "${info.with}"`}${info.reason === null ? "" : `: ${info.reason}`}`;
}
