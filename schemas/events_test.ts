/** Tests of the events contract shared by host and SDK: patterns, reserved names. @module */

import { ok, strictEqual } from "node:assert/strict";
import { isReservedEvent, matchesEvent, NAME_PATTERN, SUBSCRIPTION_PATTERN } from "./events.ts";

Deno.test("matchesEvent: a name matches itself only; a .* pattern matches every name under its prefix, at any depth", () => {
  strictEqual(matchesEvent("notes.created", "notes.created"), true);
  strictEqual(matchesEvent("notes.created", "notes.created.x"), false);
  strictEqual(matchesEvent("notes.created", "notes.deleted"), false);
  strictEqual(matchesEvent("notes.*", "notes.created"), true);
  strictEqual(matchesEvent("notes.*", "notes.tag.added"), true);
  strictEqual(matchesEvent("notes.*", "notes"), false, "the prefix alone is not under it");
  strictEqual(matchesEvent("notes.*", "notesx.created"), false, "segments, not characters");
  strictEqual(matchesEvent("corral.plugin.*", "corral.plugin.loaded"), true);
});

Deno.test("names: the host's own are under corral.; the patterns accept names and .* prefixes only", () => {
  ok(isReservedEvent("corral.plugin.loaded"));
  ok(!isReservedEvent("corralx.plugin"));
  ok(NAME_PATTERN.test("admin.menu") && !NAME_PATTERN.test("admin") && !NAME_PATTERN.test("Admin.menu") && !NAME_PATTERN.test("a.*"));
  ok(SUBSCRIPTION_PATTERN.test("notes.*") && SUBSCRIPTION_PATTERN.test("notes.created") && !SUBSCRIPTION_PATTERN.test("*") && !SUBSCRIPTION_PATTERN.test("notes.*.x"));
});
