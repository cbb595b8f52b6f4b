/** Tests for the load order resolver, as a pure function: order, refusals, blocking, conflicts, determinism. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../schemas/errors.ts";
import { resolveLoadOrder } from "../../../host/plugins/resolve-load-order.ts";
import type { PluginCandidate, Resolution } from "../../../host/plugins/resolve-load-order.ts";
import type { ManifestGlobalHooks } from "../../../host/manifest/manifest.ts";

const HOST = "0.1.0";

interface Options {
  readonly version?: string;
  readonly hostApi?: string;
  readonly dir?: string;
  readonly globalHooks?: ManifestGlobalHooks;
}

/** A candidate named `name` in /plugins/<name> needing `dependencies`. */
function plugin(name: string, dependencies: Record<string, string> = {}, options: Options = {}): PluginCandidate {
  const dir = options.dir ?? `/plugins/${name}`;
  return {
    manifest: { name, version: options.version ?? "1.0.0", hostApi: options.hostApi ?? "^0.1.0", dependencies,
      ...(options.globalHooks === undefined ? {} : { globalHooks: options.globalHooks }) },
    dir,
    file: `${dir}/plugin.json`,
  };
}

function names(resolution: Resolution<PluginCandidate>): string[] {
  return resolution.order.map((p) => p.manifest.name);
}

function refusalOf(resolution: Resolution<PluginCandidate>, name: string) {
  const found = resolution.refused.filter((r) => r.name === name);
  assert.is(found.length, 1, `one refusal for ${name}: ${JSON.stringify(resolution.refused)}`);
  return found[0]!;
}

function blockOf(resolution: Resolution<PluginCandidate>, name: string) {
  const found = resolution.blocked.find((b) => b.name === name);
  assert.ok(found, `${name} is blocked: ${JSON.stringify(resolution.blocked)}`);
  return found!;
}

/** Every candidate must land in exactly one of order, refused, blocked. */
function assertPartition(candidates: readonly PluginCandidate[], resolution: Resolution<PluginCandidate>): void {
  const placed = [
    ...resolution.order.map((p) => p.dir),
    ...resolution.refused.map((r) => r.dir),
    ...resolution.blocked.map((b) => b.dir),
  ].sort();
  assert.equal(placed, candidates.map((c) => c.dir).sort());
}

test("a linear chain loads dependencies first", () => {
  const candidates = [plugin("c", { b: "^1.0.0" }), plugin("b", { a: "^1.0.0" }), plugin("a")];
  const resolution = resolveLoadOrder(candidates, HOST);
  assert.equal(names(resolution), ["a", "b", "c"]);
  assert.equal(resolution.refused, []);
  assert.equal(resolution.blocked, []);
});

test("a diamond puts the shared dependency first and the top last, the middle in name order", () => {
  const resolution = resolveLoadOrder([
    plugin("top", { right: "*", left: "*" }), plugin("right", { base: "*" }), plugin("left", { base: "*" }), plugin("base"),
  ], HOST);
  assert.equal(names(resolution), ["base", "left", "right", "top"]);
});

test("independent plugins load in name order, and a dependency goes first whatever its name", () => {
  assert.equal(names(resolveLoadOrder([plugin("zeta"), plugin("alpha"), plugin("mid")], HOST)), ["alpha", "mid", "zeta"]);
  assert.equal(names(resolveLoadOrder([plugin("alpha", { zeta: "*" }), plugin("zeta"), plugin("beta")], HOST)), ["beta", "zeta", "alpha"]);
});

test("a cycle refuses every plugin on it, each message naming the cycle from that plugin", () => {
  const candidates = [plugin("a", { b: "*" }), plugin("b", { c: "*" }), plugin("c", { a: "*" }), plugin("free")];
  const resolution = resolveLoadOrder(candidates, HOST);
  assert.equal(names(resolution), ["free"]);
  const a = refusalOf(resolution, "a");
  assert.is(a.code, ErrorCode.DEPENDENCY_CYCLE);
  assert.equal(a.chain, ["a", "b", "c", "a"]);
  assert.is(a.message, '/plugins/a/plugin.json: /dependencies/b: plugin "a" is in a dependency cycle: a -> b -> c -> a; ' +
    "remove one of these dependencies (plugins on a cycle cannot start one after the other)");
  assert.match(refusalOf(resolution, "b").message, /plugin "b" is in a dependency cycle: b -> c -> a -> b/);
  assert.match(refusalOf(resolution, "c").message, /plugin "c" is in a dependency cycle: c -> a -> b -> c/);
  assertPartition(candidates, resolution);
});

test("a plugin that needs itself is a cycle of one", () => {
  const resolution = resolveLoadOrder([plugin("narcissus", { narcissus: "^1.0.0" })], HOST);
  assert.match(refusalOf(resolution, "narcissus").message, /dependency cycle: narcissus -> narcissus/);
});

test("a plugin hanging off a cycle is blocked by it, with the chain through the cycle", () => {
  const resolution = resolveLoadOrder([plugin("a", { b: "*" }), plugin("b", { a: "*" }), plugin("user", { b: "*" })], HOST);
  const user = blockOf(resolution, "user");
  assert.is(user.blockedBy, "b");
  assert.equal(user.chain, ["user", "b", "a", "b"]);
  assert.is(user.message, 'plugin "user" is blocked by "b" (user -> b -> a -> b): plugin "b" is in a dependency cycle: b -> a -> b; ' +
    'fix "b", then restart the host');
});

test("a missing dependency refuses the plugin, naming the dependency and its range", () => {
  const resolution = resolveLoadOrder([plugin("app", { accounts: "^1.2.0" }), plugin("other")], HOST);
  const app = refusalOf(resolution, "app");
  assert.is(app.code, ErrorCode.DEPENDENCY_MISSING);
  assert.equal(app.chain, ["app", "accounts"]);
  assert.is(app.message, '/plugins/app/plugin.json: /dependencies/accounts: plugin "app" needs "accounts" ^1.2.0, ' +
    'but no plugin named "accounts" is installed; install "accounts", or remove it from the dependencies');
  assert.equal(names(resolution), ["other"]);
});

test("a version out of range refuses the plugin and blocks its dependents, naming the whole chain", () => {
  const candidates = [plugin("c", { b: "^1.0.0" }), plugin("b", { a: "^2.0.0" }), plugin("a", {}, { version: "1.4.0" })];
  const resolution = resolveLoadOrder(candidates, HOST);
  assert.equal(names(resolution), ["a"]);
  const b = refusalOf(resolution, "b");
  assert.is(b.code, ErrorCode.DEPENDENCY_VERSION);
  assert.is(b.message, '/plugins/b/plugin.json: /dependencies/a: plugin "b" needs "a" ^2.0.0, but "a" is 1.4.0, which is outside ^2.0.0; ' +
    'install a version of "a" within ^2.0.0, or change the range');
  const c = blockOf(resolution, "c");
  assert.is(c.code, ErrorCode.DEPENDENCY_BLOCKED);
  assert.is(c.blockedBy, "b");
  assert.equal(c.chain, ["c", "b", "a"]);
  assert.is(c.message, 'plugin "c" is blocked by "b" (c -> b -> a): plugin "b" needs "a" ^2.0.0, but "a" is 1.4.0, which is outside ^2.0.0; ' +
    'fix "b", then restart the host');
  assertPartition(candidates, resolution);
});

test("an incompatible host API refuses the plugin and blocks its dependents", () => {
  const resolution = resolveLoadOrder([plugin("old", {}, { hostApi: "^2.0.0" }), plugin("user", { old: "*" })], HOST);
  const old = refusalOf(resolution, "old");
  assert.is(old.code, ErrorCode.HOST_API);
  assert.is(old.message, '/plugins/old/plugin.json: /hostApi: plugin "old" needs a host matching "^2.0.0", but this host is 0.1.0; ' +
    "install a version of the plugin made for this host");
  assert.is(blockOf(resolution, "user").message,
    'plugin "user" is blocked by "old" (user -> old): plugin "old" needs a host matching "^2.0.0", but this host is 0.1.0; fix "old", then restart the host');
});

test("blocking is transitive, every plugin behind the fault names it and its own chain, and unrelated plugins load", () => {
  const candidates = [
    plugin("d", { c: "*" }), plugin("c", { b: "*" }), plugin("b", { a: "*" }), plugin("a", { gone: "*" }), plugin("x"), plugin("y", { x: "*" }),
  ];
  const resolution = resolveLoadOrder(candidates, HOST);
  assert.equal(names(resolution), ["x", "y"]);
  assert.is(refusalOf(resolution, "a").code, ErrorCode.DEPENDENCY_MISSING);
  assert.equal(resolution.blocked.map((b) => [b.name, b.blockedBy, b.chain]), [
    ["b", "a", ["b", "a", "gone"]],
    ["c", "a", ["c", "b", "a", "gone"]],
    ["d", "a", ["d", "c", "b", "a", "gone"]],
  ]);
  assert.match(blockOf(resolution, "d").message, /^plugin "d" is blocked by "a" \(d -> c -> b -> a -> gone\): plugin "a" needs "gone" \*, but no plugin named "gone" is installed;/);
  assertPartition(candidates, resolution);
});

test("with two bad dependencies, a blocked plugin names the first in name order", () => {
  const resolution = resolveLoadOrder([plugin("user", { zed: "*", bad: "*" }), plugin("zed", { nope: "*" }), plugin("bad", { nada: "*" })], HOST);
  assert.is(blockOf(resolution, "user").blockedBy, "bad");
});

test("every problem of a plugin is reported, one line each, the first giving the code", () => {
  const resolution = resolveLoadOrder([plugin("many", { gone: "^1.0.0", lib: "^3.0.0" }, { hostApi: "^5.0.0" }), plugin("lib")], HOST);
  const many = refusalOf(resolution, "many");
  assert.is(many.code, ErrorCode.HOST_API);
  assert.equal(many.message.split("\n").map((line) => line.split(": ")[1]), ["/hostApi", "/dependencies/gone", "/dependencies/lib"]);
});

test("two folders of one name: the folder whose path sorts first wins, the other is refused naming both", () => {
  const first = plugin("dup", {}, { dir: "/plugins/dup", version: "1.0.0" });
  const second = plugin("dup", {}, { dir: "/plugins/dup-copy", version: "2.0.0" });
  for (const candidates of [[first, second], [second, first]]) {
    const resolution = resolveLoadOrder([...candidates, plugin("user", { dup: "^1.0.0" })], HOST);
    assert.equal(resolution.order.map((p) => `${p.manifest.name}@${p.manifest.version}`), ["dup@1.0.0", "user@1.0.0"]);
    const conflict = refusalOf(resolution, "dup");
    assert.is(conflict.code, ErrorCode.PLUGIN_CONFLICT);
    assert.is(conflict.dir, "/plugins/dup-copy");
    assert.is(conflict.message, '/plugins/dup-copy/plugin.json: /name: plugin name "dup" is declared by two folders, /plugins/dup and /plugins/dup-copy; ' +
      "the folder whose path sorts first (/plugins/dup) is loaded and this one is not (each plugin is mounted at /plugins/<name>/, " +
      "so names must be unique); rename or remove one of them");
  }
});

test("the same plugins in any input order give the same answer", () => {
  const candidates = [
    plugin("web", { auth: "^1.0.0", db: "^2.0.0" }), plugin("auth", { db: "^2.0.0" }), plugin("db", {}, { version: "2.1.0" }),
    plugin("admin", { web: "*", auth: "*" }), plugin("metrics"), plugin("legacy", { db: "^1.0.0" }), plugin("shop", { legacy: "*" }),
    plugin("p", { q: "*" }), plugin("q", { p: "*" }), plugin("old", {}, { hostApi: "^9.0.0" }), plugin("zz", { metrics: "*" }),
    plugin("db", {}, { dir: "/plugins/db-fork", version: "2.0.0" }),
  ];
  const expected = resolveLoadOrder(candidates, HOST);
  assert.equal(names(expected), ["db", "auth", "metrics", "web", "admin", "zz"]);
  // A fixed shuffle (no randomness in tests): every rotation, and every rotation reversed.
  for (let shift = 0; shift < candidates.length; shift++) {
    const rotated = [...candidates.slice(shift), ...candidates.slice(0, shift)];
    for (const input of [rotated, [...rotated].reverse()]) assert.equal(resolveLoadOrder(input, HOST), expected);
  }
  assertPartition(candidates, expected);
});

test("pre-releases count by their place in semver order, for dependencies and for the host", () => {
  const beta = resolveLoadOrder([plugin("lib", {}, { version: "2.0.0-beta.1" }), plugin("app", { lib: "^2.0.0" })], HOST);
  assert.is(refusalOf(beta, "app").message, '/plugins/app/plugin.json: /dependencies/lib: plugin "app" needs "lib" ^2.0.0, but "lib" is 2.0.0-beta.1, ' +
    'which is outside ^2.0.0 (a pre-release comes before its release: 2.0.0-beta.1 < 2.0.0); install a version of "lib" within ^2.0.0, or change the range');
  const optedIn = resolveLoadOrder([plugin("lib", {}, { version: "2.0.0-beta.3" }), plugin("app", { lib: "^2.0.0-beta.1" })], HOST);
  assert.equal(names(optedIn), ["lib", "app"]);
  const candidate = resolveLoadOrder([plugin("lib", {}, { version: "1.5.0-rc.1" }), plugin("app", { lib: "^1.2.0" })], HOST);
  assert.equal(names(candidate), ["lib", "app"], "1.5.0-rc.1 is within ^1.2.0");
  const devHost = resolveLoadOrder([plugin("now", {}, { hostApi: "^0.2.0" }), plugin("next", {}, { hostApi: "^0.2.0-0" })], "0.2.0-dev.4");
  assert.equal(names(devHost), ["next"]);
  assert.is(refusalOf(devHost, "now").code, ErrorCode.HOST_API);
});

test("a global hook priority that dependency order overrules is reported as a warning", () => {
  const hook = (priority: number) => ({ beforeRequest: { priority, timeoutMs: 1000, paths: ["/"] } });
  const resolution = resolveLoadOrder([
    plugin("a", {}, { globalHooks: hook(0) }), plugin("b", { c: "*" }, { globalHooks: hook(10) }), plugin("c", {}, { globalHooks: hook(-5) }),
  ], HOST);
  assert.equal(names(resolution), ["a", "c", "b"]);
  assert.is(resolution.warnings.length, 1);
  assert.match(resolution.warnings[0]!, /^global beforeRequest hooks: "b" \(priority 10\) is ranked below "a"/);
});

test("the answer is frozen", () => {
  const resolution = resolveLoadOrder([plugin("a")], HOST);
  assert.ok(Object.isFrozen(resolution) && Object.isFrozen(resolution.order) && Object.isFrozen(resolution.refused));
});

test.run();
