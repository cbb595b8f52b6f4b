/** Tests for the order of global request hooks: dependencies, then priority, then name; after and teardown unwind. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { globalHookOrderConflicts, orderGlobalHooks } from "../../../host/plugins/global-hook-order.ts";
import type { GlobalHookKind, HookManifest } from "../../../host/plugins/global-hook-order.ts";
import type { ManifestGlobalHooks } from "../../../host/manifest/manifest.ts";

/** A manifest declaring the given hooks with their priorities, and needing `dependencies`. */
function plugin(name: string, hooks: Partial<Record<GlobalHookKind, number>>, dependencies: string[] = []): HookManifest {
  const globalHooks: ManifestGlobalHooks = Object.fromEntries(Object.entries(hooks).map(([kind, priority]) =>
    [kind, { priority, timeoutMs: 1000, paths: ["/"] }]));
  return { name, dependencies: Object.fromEntries(dependencies.map((d) => [d, "*"])), globalHooks };
}

function order(manifests: readonly HookManifest[], kind: GlobalHookKind): string[] {
  return orderGlobalHooks(manifests, kind).map((h) => h.plugin);
}

test("only plugins that declare the hook take part, and each comes with its settings", () => {
  const manifests = [plugin("auth", { beforeRequest: 0 }), plugin("plain", {}), { name: "bare", dependencies: {} }];
  const hooks = orderGlobalHooks(manifests, "beforeRequest");
  assert.equal(hooks, [{ plugin: "auth", hook: { priority: 0, timeoutMs: 1000, paths: ["/"] } }]);
  assert.equal(orderGlobalHooks(manifests, "afterRequest"), []);
});

test("among unrelated plugins, the higher priority runs first, then the name", () => {
  const manifests = [plugin("b", { beforeRequest: 0 }), plugin("a", { beforeRequest: 0 }), plugin("z", { beforeRequest: 50 }), plugin("low", { beforeRequest: -10 })];
  assert.equal(order(manifests, "beforeRequest"), ["z", "a", "b", "low"]);
});

test("a dependency's hook runs before its dependent's, whatever the priorities", () => {
  const manifests = [plugin("admin-gate", { beforeRequest: 100 }, ["auth"]), plugin("auth", { beforeRequest: -100 })];
  assert.equal(order(manifests, "beforeRequest"), ["auth", "admin-gate"]);
});

test("a dependency through a plugin without the hook still orders the two", () => {
  const manifests = [plugin("top", { beforeRequest: 100 }), plugin("user", { beforeRequest: 50 }, ["middle"]), plugin("middle", {}, ["base"]),
    plugin("base", { beforeRequest: 0 })];
  assert.equal(order(manifests, "beforeRequest"), ["top", "base", "user"]);
});

test("afterRequest and teardownRequest run in the reverse order, each by its own priorities", () => {
  const manifests = [
    plugin("auth", { beforeRequest: 0, afterRequest: 0, teardownRequest: 0 }),
    plugin("session", { beforeRequest: 0, afterRequest: 0, teardownRequest: 0 }, ["auth"]),
    plugin("timing", { beforeRequest: 500, afterRequest: 500, teardownRequest: -500 }),
  ];
  assert.equal(order(manifests, "beforeRequest"), ["timing", "auth", "session"]);
  assert.equal(order(manifests, "afterRequest"), ["session", "auth", "timing"], "the outermost sees the response last");
  assert.equal(order(manifests, "teardownRequest"), ["timing", "session", "auth"]);
});

test("the same manifests in any order give the same hook order", () => {
  const manifests = [
    plugin("a", { beforeRequest: 1 }), plugin("b", { beforeRequest: 1 }, ["c"]), plugin("c", { beforeRequest: 5 }),
    plugin("d", { beforeRequest: 9 }, ["a"]), plugin("e", { beforeRequest: 0 }), plugin("f", {}, ["e"]),
  ];
  const expected = order(manifests, "beforeRequest");
  assert.equal(expected, ["c", "a", "d", "b", "e"]);
  for (let shift = 0; shift < manifests.length; shift++) {
    const rotated = [...manifests.slice(shift), ...manifests.slice(0, shift)];
    assert.equal(order(rotated, "beforeRequest"), expected);
    assert.equal(order([...rotated].reverse(), "beforeRequest"), expected);
  }
});

test("dependencies on plugins that are not loaded are ignored", () => {
  assert.equal(order([plugin("a", { beforeRequest: 0 }, ["gone"])], "beforeRequest"), ["a"]);
});

test("a cycle cannot be ordered: CorralError DEPENDENCY_CYCLE naming it", () => {
  try {
    orderGlobalHooks([plugin("a", { beforeRequest: 0 }, ["b"]), plugin("b", {}, ["a"])], "beforeRequest");
    assert.unreachable("a cycle must be refused");
  } catch (error) {
    assert.instance(error, CorralError);
    assert.is((error as CorralError).code, ErrorCode.DEPENDENCY_CYCLE);
    assert.match((error as CorralError).message, /cycle \(a -> b -> a\)/);
  }
});

test("two manifests of one name are a TypeError", () => {
  assert.throws(() => orderGlobalHooks([plugin("a", {}), plugin("a", {})], "beforeRequest"), (e: unknown) => e instanceof TypeError && /"a"/.test((e as Error).message));
});

test("a priority that a dependency overrules between unrelated plugins is reported, with what to change", () => {
  const manifests = [plugin("a", { beforeRequest: 0 }), plugin("b", { beforeRequest: 10 }, ["c"]), plugin("c", { beforeRequest: -5 })];
  assert.equal(order(manifests, "beforeRequest"), ["a", "c", "b"]);
  assert.equal(globalHookOrderConflicts(manifests), [
    'global beforeRequest hooks: "b" (priority 10) is ranked below "a" (priority 0) although no dependency links them: ' +
      '"b" needs "c" (priority -5, b -> c), ranked below "a"; give "c" a priority of at least 10, or lower "b"\'s priority',
  ]);
  const fixed = [plugin("a", { beforeRequest: 0 }), plugin("b", { beforeRequest: 10 }, ["c"]), plugin("c", { beforeRequest: 10 })];
  assert.equal(order(fixed, "beforeRequest"), ["c", "b", "a"]);
  assert.equal(globalHookOrderConflicts(fixed), []);
});

test("a plugin whose priority is overruled against several others gets one warning, naming the first", () => {
  const manifests = [plugin("a", { afterRequest: 0 }), plugin("d", { afterRequest: 1 }), plugin("b", { afterRequest: 10 }, ["c"]),
    plugin("c", { afterRequest: -5 })];
  const warnings = globalHookOrderConflicts(manifests);
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /^global afterRequest hooks: "b" \(priority 10\) is ranked below "d" \(priority 1\) and 1 other plugin of lower priority although/);
});

test("a dependent with a higher priority than its dependency is no conflict", () => {
  assert.equal(globalHookOrderConflicts([plugin("admin-gate", { beforeRequest: 100, afterRequest: 100 }, ["auth"]), plugin("auth", { beforeRequest: 0, afterRequest: 0 })]), []);
});

test.run();
