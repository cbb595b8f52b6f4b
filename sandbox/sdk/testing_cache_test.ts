/** Tests of testPlugin()'s in-memory cache: same rules as the host's, and denied unless asked for. @module */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { ErrorCode } from "../../schemas/errors.ts";
import { definePlugin, type PluginContext } from "./mod.ts";
import { testPlugin } from "./testing.ts";

/** A plugin that hands its context out, so tests can call ctx.cache directly. */
function withContext() {
  let context: PluginContext | undefined;
  const definition = definePlugin({ app: new Hono(), init: (ctx) => void (context = ctx) });
  return { definition, ctx: () => context! };
}

Deno.test("testPlugin cache: values come back as JSON copies; delete says whether there was one", async () => {
  const { definition, ctx } = withContext();
  await using _running = await testPlugin(definition, { cache: true });
  const value = { list: [1, 2], when: new Date(0) };
  await ctx().cache.set("k", value);
  const back = await ctx().cache.get("k");
  deepStrictEqual(back, { list: [1, 2], when: "1970-01-01T00:00:00.000Z" });
  await ctx().cache.set("null", null);
  strictEqual(await ctx().cache.get("null"), null);
  strictEqual(await ctx().cache.delete("k"), true);
  strictEqual(await ctx().cache.delete("k"), false);
  strictEqual(await ctx().cache.get("k"), undefined);
});

Deno.test("testPlugin cache: entries expire after their TTL on the given clock", async () => {
  let now = 1_000;
  const { definition, ctx } = withContext();
  await using _running = await testPlugin(definition, { cache: { now: () => now } });
  await ctx().cache.set("short", "s", { ttlSeconds: 1 });
  await ctx().cache.set("forever", "f");
  now += 999;
  strictEqual(await ctx().cache.get("short"), "s");
  now += 2;
  strictEqual(await ctx().cache.get("short"), undefined);
  strictEqual(await ctx().cache.get("forever"), "f");
});

Deno.test("testPlugin cache: past maxBytes the least recently used entries go; one too large is refused", async () => {
  const { definition, ctx } = withContext();
  await using _running = await testPlugin(definition, { cache: { maxBytes: 1024 } });
  const text = "x".repeat(300); // ~370 bytes per entry with key, quotes and overhead: two fit, not three
  await ctx().cache.set("a", text);
  await ctx().cache.set("b", text);
  await ctx().cache.get("a"); // a is now more recent than b
  await ctx().cache.set("c", text);
  strictEqual(await ctx().cache.get("b"), undefined, "b, the least recently used, was evicted");
  strictEqual(await ctx().cache.get("a"), text);
  strictEqual(await ctx().cache.get("c"), text);
  await rejects(ctx().cache.set("big", "y".repeat(2000)), (error: { code?: string; message?: string }) => {
    strictEqual(error.code, ErrorCode.CACHE_TOO_LARGE);
    ok(error.message?.includes("more than the whole cache (1024 bytes)"), error.message);
    return true;
  });
});

Deno.test("testPlugin cache: without the cache option, calls are denied as on a host without the manifest field", async () => {
  const { definition, ctx } = withContext();
  await using _running = await testPlugin(definition, { name: "nocache" });
  await rejects(ctx().cache.get("k"), (error: { code?: string; message?: string }) => {
    strictEqual(error.code, ErrorCode.CALL_DENIED);
    ok(error.message?.includes('"cache": { "maxBytes"') && error.message.includes("{ cache: true }"), error.message);
    return true;
  });
});
