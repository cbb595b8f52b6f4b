/** Tests for the order of global request hooks: dependencies, then priority, then name; after and teardown reversed. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { orderGlobalHooks } from "../../../host/plugins/global-hook-order.ts";
import type { HookManifest } from "../../../host/plugins/global-hook-order.ts";
import type { ManifestGlobalHooks } from "../../../host/manifest/manifest.ts";

/** A manifest with a hook of every kind at `priority`, depending on `dependencies`. */
function plugin(name: string, priority: number, dependencies: string[] = [], kinds: (keyof ManifestGlobalHooks)[] = ["beforeRequest", "afterRequest", "teardownRequest"]): HookManifest {
  const hook = { priority, timeoutMs: 1000, paths: ["/"] };
  return {
    name,
    dependencies: Object.fromEntries(dependencies.map((dependency) => [dependency, "*"])),
    globalHooks: Object.fromEntries(kinds.map((kind) => [kind, hook])),
  };
}

const names = (manifests: HookManifest[], kind: keyof ManifestGlobalHooks = "beforeRequest") =>
  orderGlobalHooks(manifests, kind).map((entry) => entry.plugin);

test("higher priority runs first; equal priorities run in name order", () => {
  assert.equal(names([plugin("b", 0), plugin("a", 0), plugin("low", -5), plugin("high", 10)]), ["high", "a", "b", "low"]);
});

test("a plugin's hook runs after the hooks of the plugins it depends on, whatever their priority", () => {
  // audit (priority 100) depends on auth (priority 0): auth must have attached the user first.
  assert.equal(names([plugin("audit", 100, ["auth"]), plugin("auth", 0), plugin("zz", 50)]), ["zz", "auth", "audit"]);
});

test("a dependency through a plugin without that hook still orders the two", () => {
  const middle = { name: "session", dependencies: { auth: "^1" } };
  assert.equal(names([plugin("audit", 100, ["session"]), middle, plugin("auth", -1)]), ["auth", "audit"]);
});

test("afterRequest and teardownRequest run in the reverse order (the onion)", () => {
  const manifests = [plugin("audit", 100, ["auth"]), plugin("auth", 0), plugin("zz", 50)];
  assert.equal(names(manifests, "afterRequest"), ["audit", "auth", "zz"]);
  assert.equal(names(manifests, "teardownRequest"), ["audit", "auth", "zz"]);
});

test("only plugins that declare the kind take part, each kind by its own priority", () => {
  const manifests: HookManifest[] = [
    plugin("only-before", 5, [], ["beforeRequest"]),
    plugin("only-after", 5, [], ["afterRequest"]),
    { name: "mixed", dependencies: {}, globalHooks: { beforeRequest: { priority: 9, timeoutMs: 1, paths: ["/"] }, afterRequest: { priority: 1, timeoutMs: 1, paths: ["/"] } } },
    { name: "none", dependencies: {} },
  ];
  assert.equal(names(manifests, "beforeRequest"), ["mixed", "only-before"]);
  assert.equal(names(manifests, "afterRequest"), ["mixed", "only-after"]);
  assert.equal(names(manifests, "teardownRequest"), []);
});

test("each entry carries the manifest's hook declaration", () => {
  const [entry] = orderGlobalHooks([{ name: "auth", dependencies: {}, globalHooks: { beforeRequest: { priority: 3, timeoutMs: 250, paths: ["/plugins/"] } } }], "beforeRequest");
  assert.equal(entry, { plugin: "auth", hook: { priority: 3, timeoutMs: 250, paths: ["/plugins/"] } });
});

test("dependencies on plugins that are not loaded are ignored; a cycle (which the resolver never loads) is refused", () => {
  assert.equal(names([plugin("a", 0, ["missing"]), plugin("b", 1)]), ["b", "a"]);
  assert.throws(() => names([plugin("x", 0, ["y"]), plugin("y", 0, ["x"]), plugin("z", -1)]),
    (error: unknown) => error instanceof CorralError && error.code === ErrorCode.DEPENDENCY_CYCLE);
});

test.run();
