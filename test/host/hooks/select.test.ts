/** Tests for which global hooks run for a request: path prefixes, the target's own hooks, hookless paths. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { OrderedGlobalHook } from "../../../host/plugins/global-hook-order.ts";
import { selectHooks, underPrefix } from "../../../host/hooks/select.ts";

const hook = (plugin: string, paths: string[]): OrderedGlobalHook => ({ plugin, hook: { priority: 0, timeoutMs: 1000, paths } });

test("a prefix covers whole path segments, or everything when it ends in a slash", () => {
  assert.ok(underPrefix("/plugins/notes", "/plugins/notes"));
  assert.ok(underPrefix("/plugins/notes/a/b", "/plugins/notes"));
  assert.not.ok(underPrefix("/plugins/notes-admin/", "/plugins/notes"));
  assert.ok(underPrefix("/plugins/notes-admin/", "/plugins/"));
  assert.ok(underPrefix("/anything", "/"));
  assert.not.ok(underPrefix("/plugin", "/plugins/"));
  assert.not.ok(underPrefix("/Plugins/notes", "/plugins/"));
});

test("hooks run for the paths they declare, in the given order", () => {
  const ordered = [hook("auth", ["/"]), hook("audit", ["/plugins/notes"]), hook("api", ["/plugins/api/", "/private"])];
  assert.equal(selectHooks(ordered, "/plugins/notes/1", "notes").map((h) => h.plugin), ["auth", "audit"]);
  assert.equal(selectHooks(ordered, "/private", null).map((h) => h.plugin), ["auth", "api"]);
  assert.equal(selectHooks(ordered, "/plugins/api/x", "api").map((h) => h.plugin), ["auth"]);
});

test("a plugin's own requests skip its global hooks", () => {
  const ordered = [hook("auth", ["/"]), hook("audit", ["/"])];
  assert.equal(selectHooks(ordered, "/plugins/auth/login", "auth").map((h) => h.plugin), ["audit"]);
  // The host's own answers have no target: every hook runs.
  assert.equal(selectHooks(ordered, "/plugins/auth-x", null).map((h) => h.plugin), ["auth", "audit"]);
});

test("no hook ever runs for /admin or /health, whatever it declares", () => {
  const ordered = [hook("auth", ["/", "/admin", "/health"])];
  for (const path of ["/admin", "/admin/plugins", "/admin/unknown/x", "/health", "/health/plugins/notes"]) {
    assert.equal(selectHooks(ordered, path, null), [], path);
  }
  assert.equal(selectHooks(ordered, "/healthz", null).length, 1);
  assert.equal(selectHooks(ordered, "/administrator", null).length, 1);
});

test.run();
