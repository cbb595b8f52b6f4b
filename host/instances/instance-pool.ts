/**
 * One plugin version as 0..N processes: the host talks to a pool, the pool to its instances
 * (each a `Supervisor` with its own process, crashes and restarts).
 *
 * - Lazy: no instance until the first request or call; all stopped after `idleTimeoutMs`
 *   without one (state `idle`, healthy). The first request waits for the cold start.
 * - Scaling: another instance starts when requests in flight or waiting per instance pass
 *   `scaleUpQueueDepth`, up to `maxInstances`; instances above `minInstances` stop after
 *   `scaleDownIdleMs` without requests. Requests go to the ready instance with the fewest in flight.
 * - Admission: at most `maxConcurrent` requests in flight across instances; then up to
 *   `maxQueue` wait (each at most its request timeout); beyond that, or after waiting that long,
 *   503 CORRAL_E_PLUGIN_BUSY with Retry-After.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { MigrateAction, ResponseMessage } from "../../schemas/messages.ts";
import type { Logger } from "../logger.ts";
import type { Manifest } from "../manifest/manifest.ts";
import type { Grants } from "../permission-flags.ts";
import type { PluginHandle } from "../plugins/plugin-handle.ts";
import { UnavailableError } from "../supervisor.ts";
import type { CrashRecord, ForwardRequest, PluginHealth, PluginState, PluginUsage } from "../supervisor.ts";
import type { PoolSettings } from "./pool-settings.ts";
import type { StateChange } from "../monitoring/state-history.ts";
import { runSettled } from "../on-settled.ts";

/** Makes instance `id` (a stopped supervisor); `onStateChange` must be wired to its state changes. */
export type InstanceFactory = (id: number, onStateChange: (state: PluginState, change: StateChange) => void) => PluginHandle;

export interface InstancePoolOptions {
  readonly manifest: Manifest;
  readonly dir: string;
  readonly grants: Grants;
  readonly settings: PoolSettings;
  /** The effective limits shown in /health (the pool's and the others: memory, time, body, response, database). */
  readonly limits: Readonly<Record<string, number | null>>;
  readonly createInstance: InstanceFactory;
  readonly logger: Logger;
  /** Told about every state change of the pool as a whole, with why. */
  readonly onStateChange?: (state: PluginState, change: StateChange) => void;
}

/** One instance as /health shows it. */
export interface InstanceHealth {
  readonly id: number;
  readonly pid: number | null;
  readonly state: PluginState;
  readonly inFlight: number;
  readonly rssBytes: number | null;
  readonly cpuPercent: number | null;
  readonly restarts: number;
  readonly lastExit: CrashRecord | null;
}

/**
 * What a pool adds to a plugin's /health entry (all counters monotonic, depths current). Its
 * `cpuPercent` (sum over instances, 100 = one core) and `usage` (process starts, CPU seconds, disk
 * bytes: totals over every instance, gone ones included) fill PluginHealth's fields of those names.
 */
export interface PoolHealthFields {
  readonly limits: Readonly<Record<string, number | boolean | null>>;
  /** Every process, those being stopped included. */
  readonly instances: readonly InstanceHealth[];
  /** Processes serving or starting (not those being stopped). */
  readonly instanceCount: number;
  /** Requests waiting for a slot now. */
  readonly queueDepth: number;
  /** Requests answered 503 CORRAL_E_PLUGIN_BUSY (queue full, or waited their whole timeout). */
  readonly busyRejections: number;
  /** Instances started because requests or calls arrived with none running (lazy plugins). */
  readonly coldStarts: number;
  readonly scaleUps: number;
  readonly scaleDowns: number;
  readonly idleUnloads: number;
}

interface Instance {
  readonly id: number;
  readonly handle: PluginHandle;
  inFlight: number;
  lastActiveAt: number;
  /** Taken out of rotation: it is being stopped. */
  retiring: boolean;
}

interface Waiter {
  readonly admit: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** How often the pool looks for instances to stop, at most. */
const MAX_SWEEP_INTERVAL_MS = 1000;

export class InstancePool implements PluginHandle {
  readonly #options: InstancePoolOptions;
  readonly #settings: PoolSettings;
  readonly #log: Logger;
  readonly #instances: Instance[] = [];
  readonly #queue: Waiter[] = [];
  #nextId = 1;
  #state: PluginState = "stopped";
  #active = 0;
  #busyRejections = 0;
  #coldStarts = 0;
  #scaleUps = 0;
  #scaleDowns = 0;
  #idleUnloads = 0;
  #lastActiveAt = Date.now();
  #sweepTimer: NodeJS.Timeout | undefined;
  /** Woken at every instance state change (see #waitReady). */
  readonly #stateWaiters = new Set<() => void>();
  /** Mean request duration (exponentially weighted), for Retry-After. */
  #meanLatencyMs = 100;
  /** Counters of instances that are gone, so the pool's totals stay monotonic. */
  #retired = { restarts: 0, usage: NO_USAGE, lastExit: null as CrashRecord | null, lastError: null as PluginHealth["lastError"] };

  constructor(options: InstancePoolOptions) {
    this.#options = options;
    this.#settings = options.settings;
    this.#log = options.logger;
  }

  get name(): string {
    return this.#options.manifest.name;
  }

  get version(): string {
    return this.#options.manifest.version;
  }

  get manifest(): Manifest {
    return this.#options.manifest;
  }

  get dir(): string {
    return this.#options.dir;
  }

  get grants(): Grants {
    return this.#options.grants;
  }

  get state(): PluginState {
    return this.#state;
  }

  /** Non-lazy: starts `minInstances` and resolves when each is ready or failed its first start. Lazy: idle at once. */
  async start(): Promise<void> {
    if (this.#state !== "stopped" && this.#state !== "stopping") return;
    this.#lastActiveAt = Date.now();
    if (this.#settings.lazy) {
      this.#setState("idle", "lazy: no process until the first request");
      this.#scheduleSweep();
      return;
    }
    this.#setState("starting", "started by the host");
    await Promise.all(Array.from({ length: this.#settings.minInstances }, () => this.#launch().handle.start()));
    this.#scheduleSweep();
  }

  handle(request: ForwardRequest): Promise<ResponseMessage> {
    try {
      this.#refuseWhenDown();
    } catch (error) {
      return Promise.reject(error);
    }
    // The usual case, a free slot and nobody waiting, is admitted without a promise of its own:
    // this runs once per request on the host's only thread (D33-perf).
    if (this.#takeFreeSlot()) return this.#forward(request);
    return this.#admit().then(() => this.#forward(request));
  }

  /** Sends an admitted request to an instance; its slot is given back when the answer settles. */
  #forward(request: ForwardRequest): Promise<ResponseMessage> {
    const started = Date.now();
    let instance: Instance;
    try {
      instance = this.#pick();
      instance.inFlight++;
    } catch (error) {
      this.#finishRequest(started);
      return Promise.reject(error);
    }
    return runSettled(() => instance.handle.handle(request), () => {
      this.#settled(instance);
      this.#finishRequest(started);
    });
  }

  #finishRequest(started: number): void {
    this.#meanLatencyMs = this.#meanLatencyMs * 0.9 + (Date.now() - started) * 0.1;
    this.#release();
  }

  /**
   * Calls an entry point (hooks, events...) on the least busy ready instance; an idle plugin is
   * started for it and the call waits for the cold start within `timeoutMs`. Calls do not count
   * against maxConcurrent: they are the host's own traffic, bounded by their own queues.
   */
  async call(method: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    this.#refuseWhenDown();
    if (this.#state === "idle") {
      const instance = this.#pick();
      // Counted in flight while it waits, so the idle sweep does not stop what it waits for.
      return this.#run(instance, async () => {
        await this.#waitReady(instance, timeoutMs);
        return instance.handle.call(method, payload, timeoutMs);
      });
    }
    const instance = this.#leastBusyReady();
    if (instance === undefined) {
      return Promise.reject(new CorralError(ErrorCode.PLUGIN_UNAVAILABLE, `plugin "${this.name}" is ${this.#state}, not ready`));
    }
    return this.#run(instance, () => instance.handle.call(method, payload, timeoutMs));
  }

  async migrate(action: MigrateAction, timeoutMs = 60_000): Promise<unknown> {
    this.#refuseWhenDown();
    const instance = this.#pick();
    return this.#run(instance, () => instance.handle.migrate(action, timeoutMs));
  }

  async stop(reason: string, deadlineMs: number): Promise<void> {
    this.#setState("stopping", reason);
    clearTimeout(this.#sweepTimer);
    for (const waiter of this.#queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new CorralError(ErrorCode.SHUTTING_DOWN, `plugin "${this.name}" is stopping: ${reason}`));
    }
    await Promise.all([...this.#instances].map((instance) => this.#retire(instance, reason, deadlineMs)));
    this.#setState("stopped", reason);
  }

  health(): PluginHealth & PoolHealthFields {
    const instances = this.#instances.map((instance): InstanceHealth & { health: PluginHealth; retiring: boolean } => {
      const health = instance.handle.health();
      return {
        retiring: instance.retiring,
        id: instance.id, pid: health.pid, state: health.state, inFlight: health.inFlight, rssBytes: health.rssBytes,
        cpuPercent: health.cpuPercent ?? null, restarts: health.restarts, lastExit: health.lastExit, health,
      };
    });
    const sum = (values: (number | null | undefined)[]): number | null => {
      const known = values.filter((v): v is number => typeof v === "number");
      return known.length === 0 ? null : Math.round(known.reduce((a, b) => a + b, 0) * 10) / 10;
    };
    // Instances being stopped are listed (state "stopping") but no longer stand for the plugin.
    const live = instances.filter((i) => !i.retiring);
    const first = live.find((i) => i.state === "ready") ?? live[0];
    const exits = [this.#retired.lastExit, ...instances.map((i) => i.lastExit)].filter((e): e is CrashRecord => e !== null);
    const lastExit = exits.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))[0] ?? null;
    const failures = instances.map((i) => i.health.failure).filter((f): f is string => f !== null);
    const errors = [this.#retired.lastError, ...instances.map((i) => i.health.lastError)].filter((e): e is NonNullable<typeof e> => e !== null);
    const lastError = errors.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))[0] ?? null;
    return {
      name: this.name,
      version: this.version,
      state: this.#state,
      isolation: this.grants.isolation,
      grants: this.grants,
      pid: first?.pid ?? null,
      restarts: this.#retired.restarts + instances.reduce((n, i) => n + i.restarts, 0),
      inFlight: instances.reduce((n, i) => n + i.inFlight, 0),
      rssBytes: sum(instances.map((i) => i.rssBytes)),
      lastExit,
      failure: failures[0] ?? null,
      readySince: first?.health.readySince ?? null,
      database: first?.health.database ?? null,
      limits: this.#options.limits,
      instances: instances.map(({ health: _health, retiring: _retiring, ...rest }) => rest),
      instanceCount: live.length,
      queueDepth: this.#queue.length,
      busyRejections: this.#busyRejections,
      coldStarts: this.#coldStarts,
      scaleUps: this.#scaleUps,
      scaleDowns: this.#scaleDowns,
      idleUnloads: this.#idleUnloads,
      cpuPercent: sum(instances.map((i) => i.cpuPercent)),
      usage: addUsage([this.#retired.usage, ...instances.map((i) => i.health.usage)]),
      lastError,
      ping: first?.health.ping ?? null,
      inspector: first?.health.inspector ?? null,
    };
  }

  /** Takes a request slot when one is free and nobody waits for one; false otherwise. */
  #takeFreeSlot(): boolean {
    if (this.#active >= this.#settings.maxConcurrent || this.#queue.length !== 0) return false;
    this.#active++;
    this.#scaleUpIfNeeded();
    return true;
  }

  /** Waits for a slot under maxConcurrent, in the bounded queue; 503 PLUGIN_BUSY when none comes. */
  #admit(): Promise<void> {
    if (this.#takeFreeSlot()) return Promise.resolve();
    if (this.#queue.length >= this.#settings.maxQueue) {
      return Promise.reject(this.#busy(`its ${this.#settings.maxConcurrent} request slots (limits.maxConcurrent) are taken and ` +
        `${this.#queue.length} requests wait (limits.maxQueue ${this.#settings.maxQueue})`));
    }
    const timeoutMs = this.grants.timeoutMs;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(waiter.timer);
          this.#active++;
          resolve();
        },
        reject,
        timer: setTimeout(() => {
          const index = this.#queue.indexOf(waiter);
          if (index >= 0) this.#queue.splice(index, 1);
          reject(this.#busy(`the request waited ${timeoutMs} ms (limits.timeoutMs) for one of its ` +
            `${this.#settings.maxConcurrent} request slots (limits.maxConcurrent)`));
        }, timeoutMs),
      };
      this.#queue.push(waiter);
      this.#scaleUpIfNeeded();
    });
  }

  #release(): void {
    this.#active--;
    this.#lastActiveAt = Date.now();
    if (this.#active < this.#settings.maxConcurrent) this.#queue.shift()?.admit();
  }

  #busy(why: string): UnavailableError {
    this.#busyRejections++;
    const waitMs = (this.#meanLatencyMs * (this.#queue.length + 1)) / Math.max(1, this.#settings.maxConcurrent);
    const seconds = Math.min(60, Math.max(1, Math.ceil(waitMs / 1000)));
    if (this.#busyRejections === 1 || this.#busyRejections % 100 === 0) {
      this.#log.warn("plugin busy; requests refused", { busyRejections: this.#busyRejections, why });
    }
    return new UnavailableError(`plugin "${this.name}" is busy: ${why}; try again in ${seconds} s`, seconds, ErrorCode.PLUGIN_BUSY);
  }

  /** The ready instance with the fewest in flight; else a starting one; else a cold start. */
  #pick(): Instance {
    const ready = this.#leastBusyReady();
    if (ready !== undefined) return ready;
    const live = this.#instances.filter((i) => !i.retiring && i.handle.state !== "failed");
    if (live.length > 0) return leastBusy(live);
    const failed = this.#instances.find((i) => !i.retiring);
    if (failed !== undefined) return failed; // its handle() says PLUGIN_FAILED, with the reason
    this.#coldStarts++;
    this.#log.info("cold start", { coldStarts: this.#coldStarts });
    const instance = this.#launch();
    void instance.handle.start();
    return instance;
  }

  /** The ready (not retiring) instance with the fewest in flight, without building an array: #pick runs once per request. */
  #leastBusyReady(): Instance | undefined {
    let best: Instance | undefined;
    for (const instance of this.#instances) {
      if (instance.retiring || instance.handle.state !== "ready") continue;
      if (best === undefined || instance.inFlight < best.inFlight) best = instance;
    }
    return best;
  }

  async #run<T>(instance: Instance, work: () => Promise<T>): Promise<T> {
    instance.inFlight++;
    try {
      return await work();
    } finally {
      this.#settled(instance);
    }
  }

  /** One piece of work on `instance` is over (see #run). */
  #settled(instance: Instance): void {
    instance.inFlight--;
    instance.lastActiveAt = Date.now();
    this.#lastActiveAt = instance.lastActiveAt;
  }

  /** Waits for a starting instance (calls do not wait inside the supervisor, requests do). */
  async #waitReady(instance: Instance, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (instance.handle.state !== "ready") {
      const state = instance.handle.state;
      const remaining = deadline - Date.now();
      if (state === "failed" || state === "stopped" || remaining <= 0) {
        throw new CorralError(ErrorCode.PLUGIN_UNAVAILABLE, `plugin "${this.name}" did not become ready within ${timeoutMs} ms (${state})`);
      }
      // Woken by the next state change of any instance, or at the deadline.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, remaining);
        function wake(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#stateWaiters.add(wake);
      });
    }
  }

  #launch(): Instance {
    const id = this.#nextId++;
    const instance: Instance = { id, handle: undefined as unknown as PluginHandle, inFlight: 0, lastActiveAt: Date.now(), retiring: false };
    (instance as { handle: PluginHandle }).handle = this.#options.createInstance(id, (state, change) => {
      // An instance is idle from when it can first take work, not from when it was asked for.
      if (state === "ready") instance.lastActiveAt = Date.now();
      this.#refreshState(this.#settings.maxInstances > 1 ? `instance ${id}: ${change.reason}` : change.reason);
    });
    this.#instances.push(instance);
    this.#refreshState();
    this.#scheduleSweep();
    return instance;
  }

  #scaleUpIfNeeded(): void {
    const live = this.#instances.filter((i) => !i.retiring && i.handle.state !== "failed");
    if (live.length === 0 || live.length >= this.#settings.maxInstances) return;
    // One start at a time: the new instance takes load before the next is judged.
    if (live.some((i) => i.handle.state === "starting")) return;
    const load = this.#active + this.#queue.length;
    if (load / live.length <= this.#settings.scaleUpQueueDepth) return;
    this.#scaleUps++;
    this.#log.info("starting another instance", { instances: live.length + 1, inFlight: this.#active, queued: this.#queue.length });
    void this.#launch().handle.start().then(() => this.#queue.length > 0 && this.#scaleUpIfNeeded());
  }

  /** Stops instances above the minimum that sat idle, and every instance of a lazy plugin left idle. */
  #sweep(): void {
    this.#sweepTimer = undefined;
    if (this.#state === "stopping" || this.#state === "stopped") return;
    const now = Date.now();
    const live = this.#instances.filter((i) => !i.retiring);
    const { lazy, idleTimeoutMs, minInstances, scaleDownIdleMs } = this.#settings;
    // An instance still starting has not had its chance to take work: it is never "idle".
    const starting = (i: Instance) => i.handle.state === "starting" || i.handle.state === "restarting";
    if (lazy && live.length > 0 && this.#active === 0 && this.#queue.length === 0 &&
      live.every((i) => i.inFlight === 0 && !starting(i)) && now - this.#lastActiveAt >= idleTimeoutMs) {
      this.#idleUnloads++;
      this.#log.info("stopping the idle plugin", { idleForMs: now - this.#lastActiveAt, idleTimeoutMs, instances: live.length });
      for (const instance of live) void this.#retire(instance, `idle for ${idleTimeoutMs} ms (idleTimeoutMs)`, 5000);
    } else {
      const extra = live.length - minInstances;
      const idle = live
        .filter((i) => i.inFlight === 0 && !starting(i) && now - i.lastActiveAt >= scaleDownIdleMs)
        .sort((a, b) => b.id - a.id) // newest first: the oldest have warm caches
        .slice(0, Math.max(0, extra));
      for (const instance of idle) {
        this.#scaleDowns++;
        this.#log.info("stopping an idle extra instance", { id: instance.id, instances: live.length - 1 });
        void this.#retire(instance, `idle for ${scaleDownIdleMs} ms above instances.min`, 5000);
      }
    }
    this.#scheduleSweep();
  }

  #scheduleSweep(): void {
    if (this.#sweepTimer !== undefined || this.#state === "stopping" || this.#state === "stopped") return;
    const needed = this.#settings.lazy ? this.#instances.length > 0 : this.#instances.length > this.#settings.minInstances;
    if (!needed) return;
    const period = Math.min(this.#settings.lazy ? this.#settings.idleTimeoutMs : Infinity, this.#settings.scaleDownIdleMs);
    this.#sweepTimer = setTimeout(() => this.#sweep(), Math.max(20, Math.min(MAX_SWEEP_INTERVAL_MS, period / 4)));
    this.#sweepTimer.unref();
  }

  async #retire(instance: Instance, reason: string, deadlineMs: number): Promise<void> {
    instance.retiring = true;
    try {
      await instance.handle.stop(reason, deadlineMs);
    } finally {
      const health = instance.handle.health();
      this.#retired.restarts += health.restarts;
      this.#retired.usage = addUsage([this.#retired.usage, health.usage]);
      if (health.lastExit !== null && health.lastExit.kind !== "stopped") this.#retired.lastExit = health.lastExit;
      if (health.lastError !== null) this.#retired.lastError = health.lastError;
      const index = this.#instances.indexOf(instance);
      if (index >= 0) this.#instances.splice(index, 1);
      this.#refreshState(`instance ${instance.id} stopped: ${reason}`);
    }
  }

  /** The pool's state from its instances': ready when any is ready. */
  #refreshState(reason = "the pool's instances changed"): void {
    const waiters = [...this.#stateWaiters];
    this.#stateWaiters.clear();
    for (const wake of waiters) wake();
    if (this.#state === "stopping" || this.#state === "stopped") return;
    const states = this.#instances.filter((i) => !i.retiring).map((i) => i.handle.state);
    let next: PluginState;
    if (states.includes("ready")) next = "ready";
    else if (states.length === 0) next = this.#settings.lazy ? "idle" : "starting";
    else if (states.includes("starting")) next = "starting";
    else if (states.includes("restarting")) next = "restarting";
    else if (states.every((s) => s === "failed")) next = "failed";
    else next = "starting";
    this.#setState(next, reason);
  }

  #setState(state: PluginState, reason: string): void {
    if (this.#state === state) return;
    const change: StateChange = { at: new Date().toISOString(), from: this.#state, to: state, reason };
    this.#state = state;
    this.#options.onStateChange?.(state, change);
  }

  /** The first ready instance's inspector URL while debugging is on (each instance has its own). */
  get inspectorUrl(): string | undefined {
    return this.#instances.find((i) => !i.retiring && i.handle.state === "ready")?.handle.inspectorUrl;
  }

  #refuseWhenDown(): void {
    if (this.#state === "stopping" || this.#state === "stopped") {
      throw new CorralError(ErrorCode.SHUTTING_DOWN, `plugin "${this.name}" is stopped`);
    }
  }
}

const NO_USAGE: PluginUsage = { processStarts: 0, cpuSeconds: 0, diskReadBytes: 0, diskWriteBytes: 0 };

/** Usage of several processes (instances, and those already gone) as one plugin's. */
function addUsage(all: readonly (PluginUsage | undefined)[]): PluginUsage {
  const total = { ...NO_USAGE };
  for (const usage of all) {
    if (usage === undefined) continue;
    total.processStarts += usage.processStarts;
    total.cpuSeconds += usage.cpuSeconds;
    total.diskReadBytes += usage.diskReadBytes;
    total.diskWriteBytes += usage.diskWriteBytes;
  }
  return total;
}

function leastBusy(instances: readonly Instance[]): Instance {
  return instances.reduce((best, i) => (i.inFlight < best.inFlight ? i : best));
}
