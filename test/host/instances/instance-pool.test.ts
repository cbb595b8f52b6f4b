/**
 * InstancePool with stand-in instances (no processes): lazy start and idle unload, admission
 * (maxConcurrent, bounded queue, 503 PLUGIN_BUSY), scaling up by load and down when idle, and
 * spreading requests to the least busy instance.
 */
import type { StateChange } from "../../../host/monitoring/state-history.ts";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../schemas/errors.ts";
import type { ResponseMessage } from "../../../schemas/messages.ts";
import { InstancePool } from "../../../host/instances/instance-pool.ts";
import type { PoolSettings } from "../../../host/instances/pool-settings.ts";
import type { Manifest } from "../../../host/manifest/manifest.ts";
import type { Grants } from "../../../host/permission-flags.ts";
import type { PluginHandle } from "../../../host/plugins/plugin-handle.ts";
import { UnavailableError } from "../../../host/supervisor.ts";
import type { ForwardRequest, PluginHealth, PluginState } from "../../../host/supervisor.ts";
import { memoryLogger } from "../../helpers/database.ts";
import { rejection } from "../../helpers/assert.ts";

const REQUEST: ForwardRequest = { method: "GET", url: "/", headers: "", body: new Uint8Array(), remoteAddress: "127.0.0.1" };

/** A stand-in instance: ready one turn after start; each request waits until the test lets it go. */
class FakeInstance implements PluginHandle {
  readonly name = "fake";
  readonly version = "1.0.0";
  readonly manifest = {} as Manifest;
  readonly dir = "/fake";
  readonly grants: Grants;
  state: PluginState = "stopped";
  readonly pending: Array<() => void> = [];
  served = 0;
  calls = 0;
  stopped = false;
  readonly #onState: (state: PluginState, change: StateChange) => void;

  constructor(readonly id: number, grants: Grants, onState: (state: PluginState, change: StateChange) => void) {
    this.grants = grants;
    this.#onState = onState;
  }

  #set(state: PluginState): void {
    const change: StateChange = { at: new Date().toISOString(), from: this.state, to: state, reason: "fake" };
    this.state = state;
    this.#onState(state, change);
  }

  /** Set by a test to hold the start until it says so. */
  startGate: Promise<void> | undefined;

  async start(): Promise<void> {
    this.#set("starting");
    await new Promise((resolve) => setImmediate(resolve));
    await this.startGate;
    if (this.state === "starting") this.#set("ready");
  }

  async handle(_request: ForwardRequest): Promise<ResponseMessage> {
    while (this.state === "starting") await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => this.pending.push(resolve));
    this.served++;
    return { type: "response", id: 0, status: 200, headers: "", body: new TextEncoder().encode(`instance ${this.id}`) } as unknown as ResponseMessage;
  }

  async call(): Promise<unknown> {
    if (this.state !== "ready") throw new Error(`called while ${this.state}`);
    this.calls++;
    return `called ${this.id}`;
  }

  async migrate(): Promise<unknown> {
    return {};
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.#set("stopping");
    this.#set("stopped");
  }

  health(): PluginHealth {
    return {
      name: this.name, version: this.version, state: this.state, isolation: "none", grants: this.grants,
      pid: this.state === "ready" ? 1000 + this.id : null, restarts: 0, inFlight: this.pending.length,
      rssBytes: 1000, lastExit: null, failure: null, readySince: null, database: null,
      cpuPercent: 10, usage: { processStarts: 1, cpuSeconds: 0.5, diskReadBytes: 100, diskWriteBytes: 50 },
      lastError: null, ping: null, inspector: null,
    };
  }
}

const SETTINGS: PoolSettings = {
  lazy: false, lazySource: null, idleTimeoutMs: 60_000, minInstances: 1, maxInstances: 1,
  maxConcurrent: 100, maxQueue: 100, cpuPercent: null, cpuWindowMs: 10_000, scaleUpQueueDepth: 4, scaleDownIdleMs: 60_000,
};

function makePool(settings: Partial<PoolSettings> = {}, timeoutMs = 5000, startGate?: Promise<void>) {
  const grants = { timeoutMs, memoryMb: 128, maxBodyBytes: 1024, net: [], read: [], env: [], isolation: "none" } as Grants;
  const instances: FakeInstance[] = [];
  const states: PluginState[] = [];
  const { logger, records } = memoryLogger();
  const pool = new InstancePool({
    manifest: { name: "fake", version: "1.0.0" } as Manifest,
    dir: "/fake",
    grants,
    settings: { ...SETTINGS, ...settings },
    limits: { maxConcurrent: settings.maxConcurrent ?? SETTINGS.maxConcurrent },
    logger,
    onStateChange: (state) => states.push(state),
    createInstance: (id, onState) => {
      const instance = new FakeInstance(id, grants, onState);
      if (id > 1 || settings.lazy === true) instance.startGate = startGate;
      instances.push(instance);
      return instance;
    },
  });
  return { pool, instances, states, records };
}

async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets every request waiting in every instance finish. */
function releaseAll(instances: FakeInstance[]): void {
  for (const instance of instances) for (const resolve of instance.pending.splice(0)) resolve();
}

const inFlight = (instances: FakeInstance[]) => instances.reduce((n, i) => n + i.pending.length, 0);

test("a non-lazy pool starts its minimum at start and is ready", async () => {
  const { pool, instances } = makePool({ minInstances: 2, maxInstances: 3 });
  await pool.start();
  assert.is(instances.length, 2);
  assert.is(pool.state, "ready");
  const health = pool.health();
  assert.is(health.instanceCount, 2);
  assert.equal(health.instances.map((i) => i.pid), [1001, 1002]);
  assert.is(health.rssBytes, 2000, "memory is summed over instances");
  assert.is(health.cpuPercent, 20, "CPU percent is summed over instances");
  assert.equal(health.usage, { processStarts: 2, cpuSeconds: 1, diskReadBytes: 200, diskWriteBytes: 100 });
  assert.is(health.coldStarts, 0);
});

test("a lazy pool has no instance until the first request, which waits for the cold start", async () => {
  const { pool, instances, states } = makePool({ lazy: true, lazySource: "manifest" });
  await pool.start();
  assert.is(pool.state, "idle");
  assert.is(instances.length, 0);
  assert.is(pool.health().pid, null);
  const answer = pool.handle(REQUEST);
  await until(() => inFlight(instances) === 1, "the request reaches the new instance");
  releaseAll(instances);
  assert.is(new TextDecoder().decode((await answer).body), "instance 1");
  assert.is(pool.state, "ready");
  assert.is(pool.health().coldStarts, 1);
  assert.equal(states.slice(0, 3), ["idle", "starting", "ready"]);
});

test("a lazy pool stops its instances after idleTimeoutMs without requests, and starts again on the next", async () => {
  const { pool, instances } = makePool({ lazy: true, lazySource: "policy", idleTimeoutMs: 40 });
  await pool.start();
  const first = pool.handle(REQUEST);
  await until(() => inFlight(instances) === 1, "the request is in flight");
  releaseAll(instances);
  await first;
  await until(() => pool.state === "idle", "the pool goes idle");
  assert.ok(instances[0]!.stopped, "the instance was stopped");
  assert.is(pool.health().idleUnloads, 1);
  assert.is(pool.health().usage.processStarts, 1, "a stopped instance's usage stays counted");
  assert.is(pool.health().instanceCount, 0);
  const second = pool.handle(REQUEST);
  await until(() => inFlight(instances) === 1, "the second request is in flight");
  releaseAll(instances);
  assert.is(new TextDecoder().decode((await second).body), "instance 2");
  assert.is(pool.health().coldStarts, 2);
});

test("a lazy pool is not unloaded while a request is in flight", async () => {
  const { pool, instances } = makePool({ lazy: true, lazySource: "manifest", idleTimeoutMs: 20 });
  await pool.start();
  const slow = pool.handle(REQUEST);
  await until(() => inFlight(instances) === 1, "the request is in flight");
  await new Promise((resolve) => setTimeout(resolve, 100)); // several sweeps pass
  assert.is(pool.state, "ready");
  assert.not.ok(instances[0]!.stopped);
  releaseAll(instances);
  await slow;
});

test("a call to an idle pool starts it and is answered once it is ready", async () => {
  const { pool, instances } = makePool({ lazy: true, lazySource: "manifest" });
  await pool.start();
  assert.is(await pool.call("events.deliver", {}, 1000), "called 1");
  assert.is(instances.length, 1);
  assert.is(pool.health().coldStarts, 1);
});

test("over maxConcurrent requests wait in the queue; a full queue answers PLUGIN_BUSY with Retry-After", async () => {
  const { pool, instances, records } = makePool({ maxConcurrent: 2, maxQueue: 1 });
  await pool.start();
  const running = [pool.handle(REQUEST), pool.handle(REQUEST)];
  await until(() => inFlight(instances) === 2, "two requests in flight");
  const queued = pool.handle(REQUEST);
  assert.is(pool.health().queueDepth, 1);
  const refused = await rejection(pool.handle(REQUEST));
  assert.is(refused.code, ErrorCode.PLUGIN_BUSY);
  assert.instance(refused, UnavailableError);
  assert.ok((refused as UnavailableError).retryAfterSeconds >= 1);
  assert.match(refused.message, /maxConcurrent.*maxQueue/);
  assert.is(pool.health().busyRejections, 1);
  assert.ok(records.some((r) => r.message.includes("busy")), "the refusal is logged");
  // One finishes: the queued one goes in.
  instances[0]!.pending.shift()!();
  await running[0];
  await until(() => inFlight(instances) === 2, "the queued request is admitted");
  assert.is(pool.health().queueDepth, 0);
  releaseAll(instances);
  await Promise.all([running[1], queued]);
  assert.is(instances[0]!.served, 3);
});

test("a request that waits its whole timeout in the queue is PLUGIN_BUSY", async () => {
  const { pool, instances } = makePool({ maxConcurrent: 1, maxQueue: 5 }, 50);
  await pool.start();
  const running = pool.handle(REQUEST);
  await until(() => inFlight(instances) === 1, "one request in flight");
  const waited = await rejection(pool.handle(REQUEST));
  assert.is(waited.code, ErrorCode.PLUGIN_BUSY);
  assert.match(waited.message, /waited 50 ms/);
  assert.is(pool.health().queueDepth, 0, "the timed-out request left the queue");
  releaseAll(instances);
  await running;
});

test("load per instance over scaleUpQueueDepth starts another instance, up to maxInstances; requests go to the least busy", async () => {
  const { pool, instances } = makePool({ minInstances: 1, maxInstances: 2, scaleUpQueueDepth: 2 });
  await pool.start();
  const requests = [pool.handle(REQUEST), pool.handle(REQUEST)];
  await until(() => inFlight(instances) === 2, "two in flight");
  assert.is(instances.length, 1, "two per instance is not over the threshold");
  requests.push(pool.handle(REQUEST));
  assert.is(instances.length, 2, "a third one is: a second instance starts");
  await until(() => instances[1]!.state === "ready", "the second instance is ready");
  requests.push(pool.handle(REQUEST), pool.handle(REQUEST));
  await until(() => inFlight(instances) === 5, "all in flight");
  assert.is(instances[1]!.pending.length, 2, "new requests went to the idle instance");
  requests.push(pool.handle(REQUEST), pool.handle(REQUEST), pool.handle(REQUEST));
  assert.is(instances.length, 2, "never more than maxInstances");
  assert.is(pool.health().scaleUps, 1);
  await until(() => inFlight(instances) === 8, "all in flight");
  assert.is(Math.abs(instances[0]!.pending.length - instances[1]!.pending.length) <= 1, true, "spread evenly");
  releaseAll(instances);
  await Promise.all(requests);
});

test("an extra instance idle for scaleDownIdleMs is stopped; the minimum stays", async () => {
  const { pool, instances } = makePool({ minInstances: 1, maxInstances: 3, scaleUpQueueDepth: 1, scaleDownIdleMs: 40 });
  await pool.start();
  const requests = [pool.handle(REQUEST), pool.handle(REQUEST)];
  await until(() => instances.length === 2 && instances[1]!.state === "ready", "a second instance is ready");
  await until(() => inFlight(instances) === 2, "both in flight");
  releaseAll(instances);
  await Promise.all(requests);
  await until(() => pool.health().instanceCount === 1, "back to one instance");
  assert.ok(instances[1]!.stopped, "the newest instance was stopped");
  assert.not.ok(instances[0]!.stopped, "the minimum stays");
  assert.is(pool.health().scaleDowns, 1);
  assert.is(pool.state, "ready");
});

test("an instance that is still starting is never stopped as idle, however long its start takes", async () => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const { pool, instances } = makePool({ minInstances: 1, maxInstances: 2, scaleUpQueueDepth: 1, scaleDownIdleMs: 20 }, 5000, gate);
  await pool.start();
  const requests = [pool.handle(REQUEST), pool.handle(REQUEST)];
  await until(() => instances.length === 2 && inFlight(instances) === 2, "a second instance is starting");
  await new Promise((resolve) => setTimeout(resolve, 150)); // many sweeps, each well past scaleDownIdleMs
  assert.is(instances[1]!.state, "starting");
  assert.not.ok(instances[1]!.stopped, "not stopped while starting");
  open();
  await until(() => instances[1]!.state === "ready", "the second instance is ready");
  releaseAll(instances);
  await Promise.all(requests);
});

test("a call that starts an idle lazy pool is not cut off by the idle sweep while the start is slow", async () => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const { pool, instances } = makePool({ lazy: true, lazySource: "manifest", idleTimeoutMs: 20 }, 5000, gate);
  await pool.start();
  const answer = pool.call("events.deliver", {}, 2000);
  answer.catch(() => undefined); // awaited below; a rejection fails the test there
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.not.ok(instances[0]!.stopped);
  open();
  assert.is(await answer, "called 1");
});

test("stop refuses queued requests with SHUTTING_DOWN and stops every instance", async () => {
  const { pool, instances } = makePool({ maxConcurrent: 1, maxQueue: 5 });
  await pool.start();
  const running = pool.handle(REQUEST);
  running.catch(() => undefined);
  await until(() => inFlight(instances) === 1, "one in flight");
  const queued = pool.handle(REQUEST);
  await pool.stop("test over", 100);
  assert.is((await rejection(queued)).code, ErrorCode.SHUTTING_DOWN);
  assert.is(pool.state, "stopped");
  assert.ok(instances.every((i) => i.stopped));
  assert.is((await rejection(pool.handle(REQUEST))).code, ErrorCode.SHUTTING_DOWN);
});

test.run();
