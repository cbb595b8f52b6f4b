/**
 * Tests for starting plugins in dependency order, with stand-in supervisors the test moves from
 * state to state (the real ones are covered end to end in test/e2e/dependencies.test.ts).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startInOrder } from "../../../host/plugins/start-in-order.ts";
import type { StartablePlugin } from "../../../host/plugins/start-in-order.ts";
import { StateWatch } from "../../../host/plugins/state-watch.ts";
import type { BlockedPlugin, PluginCandidate } from "../../../host/plugins/resolve-load-order.ts";
import type { PluginState } from "../../../host/supervisor.ts";

/** A supervisor stand-in: `start()` records the call; the test decides how the attempt ends. */
class FakePlugin implements StartablePlugin {
  state: PluginState = "stopped";
  failure: string | null = null;
  readonly #watch: StateWatch;
  readonly #events: string[];
  #endAttempt: () => void = () => {};

  constructor(readonly name: string, watch: StateWatch, events: string[]) {
    this.#watch = watch;
    this.#events = events;
  }

  start(): Promise<void> {
    this.#events.push(`start ${this.name}`);
    this.#set("starting");
    return new Promise((resolve) => (this.#endAttempt = resolve));
  }

  health() {
    return { failure: this.failure };
  }

  /** Ends the current attempt as the supervisor would: ready, restarting (after a failed start) or failed. */
  become(state: "ready" | "restarting" | "failed", failure?: string): void {
    if (failure !== undefined) this.failure = failure;
    this.#set(state);
    this.#endAttempt();
  }

  #set(state: PluginState): void {
    this.state = state;
    this.#watch.notify(this.name, state);
  }
}

function candidate(name: string, dependencies: string[] = []): PluginCandidate {
  return { manifest: { name, version: "1.0.0", hostApi: "*", dependencies: Object.fromEntries(dependencies.map((d) => [d, "*"])) },
    dir: `/plugins/${name}`, file: `/plugins/${name}/plugin.json` };
}

/** Lets every pending promise callback run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function setUp(order: PluginCandidate[], options: { refusedAtSetup?: Map<string, string>; stopping?: boolean } = {}) {
  const watch = new StateWatch();
  const events: string[] = [];
  const blocked: BlockedPlugin[] = [];
  const plugins = new Map(order.filter((p) => !options.refusedAtSetup?.has(p.manifest.name))
    .map((p) => [p.manifest.name, new FakePlugin(p.manifest.name, watch, events)]));
  let done = false;
  const started = startInOrder(order, {
    supervisors: plugins, refusedAtSetup: options.refusedAtSetup ?? new Map(), states: watch,
    isStopping: () => options.stopping ?? false,
    onBlocked: (b) => {
      events.push(`blocked ${b.name}`);
      blocked.push(b);
    },
  }).then(() => (done = true));
  return { plugins, events, blocked, started, isDone: () => done };
}

test("a dependent starts only once its dependency is ready; unrelated plugins start at once", async () => {
  const { plugins, events, started } = setUp([candidate("a"), candidate("z"), candidate("b", ["a"])]);
  await settle();
  assert.equal(events, ["start a", "start z"]);
  plugins.get("z")!.become("ready");
  await settle();
  assert.equal(events, ["start a", "start z"], "b still waits for a");
  plugins.get("a")!.become("ready");
  await settle();
  assert.equal(events, ["start a", "start z", "start b"]);
  plugins.get("b")!.become("ready");
  await started;
});

test("a dependency that fails its first start is waited for while it retries", async () => {
  const { plugins, events, started, isDone } = setUp([candidate("a"), candidate("b", ["a"])]);
  await settle();
  plugins.get("a")!.become("restarting");
  await settle();
  assert.equal(events, ["start a"]);
  assert.is(isDone(), false, "the start is not over while b waits");
  plugins.get("a")!.become("ready");
  await settle();
  assert.equal(events, ["start a", "start b"]);
  plugins.get("b")!.become("ready");
  await started;
});

test("a dependency that fails for good blocks its dependents, transitively, and they are never started", async () => {
  const { plugins, events, blocked, started } = setUp([candidate("a"), candidate("free"), candidate("b", ["a"]), candidate("c", ["b"])]);
  await settle();
  plugins.get("free")!.become("ready");
  plugins.get("a")!.become("restarting");
  await settle();
  plugins.get("a")!.become("failed", "crashed 3 times within 60 s; last: init threw");
  await started;
  assert.equal(events, ["start a", "start free", "blocked b", "blocked c"]);
  assert.equal(blocked.map((b) => [b.name, b.blockedBy, b.chain]), [["b", "a", ["b", "a"]], ["c", "a", ["c", "b", "a"]]]);
  assert.is(blocked[1]!.message, 'plugin "c" is blocked by "a" (c -> b -> a): "a" failed to start: crashed 3 times within 60 s; last: init threw; ' +
    'fix "a", then restart the host');
});

test("a dependency refused while the host set it up blocks its dependents with its reason", async () => {
  const { events, blocked, started } = setUp([candidate("a"), candidate("b", ["a"])],
    { refusedAtSetup: new Map([["a", "/plugins/a/plugin.json: /limits/memoryMb: 4096 is over the host policy's ceiling"]]) });
  await started;
  assert.equal(events, ["blocked b"]);
  assert.is(blocked[0]!.message, 'plugin "b" is blocked by "a" (b -> a): "a" was refused: /plugins/a/plugin.json: /limits/memoryMb: ' +
    "4096 is over the host policy's ceiling; fix \"a\", then restart the host");
});

test("with two dependencies, a dependent waits for both, and names the first bad one in name order", async () => {
  const { plugins, events, blocked, started } = setUp([candidate("x"), candidate("y"), candidate("user", ["y", "x"])]);
  await settle();
  plugins.get("y")!.become("failed", "y broke");
  await settle();
  assert.equal(events, ["start x", "start y"], "user waits for x to settle too");
  plugins.get("x")!.become("failed", "x broke");
  await started;
  assert.is(blocked[0]!.blockedBy, "x");
});

test("nothing starts while the host is stopping", async () => {
  const { events, started } = setUp([candidate("a")], { stopping: true });
  await started;
  assert.equal(events, []);
});

test("a plugin before its dependency in the order is a TypeError", async () => {
  const { started } = setUp([candidate("b", ["a"]), candidate("a")]);
  try {
    await started;
    assert.unreachable("a misordered start must be refused");
  } catch (error) {
    assert.instance(error, TypeError);
    assert.match((error as Error).message, /"a" is started after a plugin that needs it/);
  }
});

test.run();
