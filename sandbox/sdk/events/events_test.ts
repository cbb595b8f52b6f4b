/** Tests of events and extension points on the SDK side: definePlugin's checks, ctx.events, ctx.extensions, the entry points, and testPlugin's helpers. @module */

import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { Hono } from "hono";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { definePlugin, type PluginContext, type PluginDefinition, type PluginEvent } from "../mod.ts";
import { testPlugin } from "../testing.ts";

const app = new Hono();

Deno.test("definePlugin: events and contributions must be objects of functions under valid names", () => {
  const ok1 = definePlugin({ app, events: { "notes.*": () => {} }, contributions: { "admin.menu": () => 1 } });
  ok(Object.isFrozen(ok1.events) && Object.isFrozen(ok1.contributions));
  throws(() => definePlugin({ app, events: [] } as unknown as PluginDefinition), /events must be an object of name -> \(event, ctx\) => \{\.\.\.\}, got an array/);
  throws(() => definePlugin({ app, events: { "Notes.created": () => {} } }), /"Notes\.created" is not an event name like "notes\.created" or a pattern like "notes\.\*"/);
  throws(() => definePlugin({ app, events: { "notes.created": "x" } } as unknown as PluginDefinition), /events\["notes\.created"\] must be a function \(event, ctx\) => \{\.\.\.\}, got "x"/);
  throws(() => definePlugin({ app, contributions: { "admin.*": () => 1 } }), /"admin\.\*" is not an extension point name like "admin\.menu"/);
  throws(() => definePlugin({ app, contributions: { "admin.menu": null } } as unknown as PluginDefinition), /contributions\["admin\.menu"\] must be a function \(args, ctx\) => value, got null/);
});

Deno.test("ctx.events.emit: captured by testPlugin after a trip through JSON; corral.* and malformed names are refused", async () => {
  let ctx: PluginContext | undefined;
  await using running = await testPlugin(definePlugin({ app, init: (c) => void (ctx = c) }));
  const receipt = await ctx!.events.emit("notes.created", { id: 7, at: new Date(0) });
  deepStrictEqual(receipt, { id: 1, queued: 0 });
  await ctx!.events.emit("notes.deleted");
  deepStrictEqual(running.emitted, [
    { id: 1, name: "notes.created", payload: { id: 7, at: "1970-01-01T00:00:00.000Z" } },
    { id: 2, name: "notes.deleted", payload: null },
  ]);
  await rejects(ctx!.events.emit("corral.plugin.loaded", {}), (e: unknown) =>
    e instanceof CorralError && e.code === ErrorCode.CALL_DENIED && /reserved to the host/.test(e.message));
  await rejects(ctx!.events.emit("Notes", {}), (e: unknown) => e instanceof TypeError && /"Notes" is not an event name/.test(e.message));
  await rejects(ctx!.events.emit("big.payload", "x".repeat(70_000)), (e: unknown) =>
    e instanceof CorralError && e.code === ErrorCode.CALL_FAILED && /over the limit of 65536/.test(e.message));
  strictEqual(running.emitted.length, 2, "refused events are not recorded");
});

Deno.test("testPlugin with a manifest: an event not in events.emits is CALL_DENIED, naming the field", async () => {
  let ctx: PluginContext | undefined;
  await using running = await testPlugin(definePlugin({ app, init: (c) => void (ctx = c) }), {
    name: "notes",
    manifest: { events: { emits: ["notes.created"] } },
  });
  await ctx!.events.emit("notes.created", 1);
  await rejects(ctx!.events.emit("notes.deleted", 1), (e: unknown) =>
    e instanceof CorralError && e.code === ErrorCode.CALL_DENIED &&
    e.message.includes('plugin "notes" may not emit "notes.deleted"') && e.message.includes("events.emits"));
  strictEqual(running.emitted.length, 1);
});

Deno.test("deliver: every handler whose key matches runs, in key order, with a frozen event and the plugin's context", async () => {
  const seen: string[] = [];
  let event: PluginEvent | undefined;
  const plugin = definePlugin({
    app,
    events: {
      "notes.*": (e, ctx) => void seen.push(`pattern ${e.name} ${ctx.name}`),
      "notes.created": (e) => {
        event = e;
        seen.push(`exact ${e.name}`);
      },
      "other.thing": () => void seen.push("never"),
    },
  });
  await using running = await testPlugin(plugin, { name: "sub" });
  await running.deliver("notes.created", { id: 1, tags: ["a"] });
  deepStrictEqual(seen, ["pattern notes.created sub", "exact notes.created"]);
  strictEqual(event!.from, "test");
  deepStrictEqual(event!.payload, { id: 1, tags: ["a"] });
  ok(Object.isFrozen(event) && Object.isFrozen(event!.payload) && Object.isFrozen((event!.payload as { tags: string[] }).tags));
  ok(!Number.isNaN(Date.parse(event!.time)));
});

Deno.test("deliver: a handler that throws fails the delivery with CALL_FAILED (cause kept), is logged with its stack, and the others still run", async () => {
  const seen: string[] = [];
  const boom = new Error("kaboom");
  const plugin = definePlugin({
    app,
    events: {
      "notes.*": () => {
        throw boom;
      },
      "notes.created": () => void seen.push("ran"),
    },
  });
  await using running = await testPlugin(plugin, { name: "sub" });
  await rejects(running.deliver("notes.created", 1), (e: unknown) =>
    e instanceof CorralError && e.code === ErrorCode.CALL_FAILED && e.cause === boom &&
    e.message === 'plugin "sub": event handler "notes.*" threw on "notes.created" (id 1): kaboom');
  deepStrictEqual(seen, ["ran"]);
  strictEqual(running.logs[0].level, "error");
  ok(running.logs[0].message.includes('event handler "notes.*" failed on "notes.created"'));
  ok(String(running.logs[0].fields?.stack).includes("kaboom"));
});

Deno.test("deliver: an event with no handler fails, naming the fix; with a manifest, one it does not subscribe to is a TypeError", async () => {
  await using bare = await testPlugin(definePlugin({ app }), { name: "sub" });
  await rejects(bare.deliver("notes.created"), (e: unknown) =>
    e instanceof CorralError && e.code === ErrorCode.CALL_FAILED && /defines no handler for it: add events/.test(e.message));
  await using strict = await testPlugin(definePlugin({ app, events: { "notes.created": () => {} } }), {
    manifest: { events: { subscribes: ["corral.plugin.*"] } },
  });
  await rejects(strict.deliver("notes.created"), /does not subscribe to "notes\.created" in its manifest's events\.subscribes/);
});

Deno.test("deliver: corral.* events come from \"corral\" unless told otherwise", async () => {
  const from: string[] = [];
  await using running = await testPlugin(definePlugin({ app, events: { "corral.plugin.*": (e) => void from.push(e.from) } }));
  await running.deliver("corral.plugin.loaded", { plugin: "x", version: "1.0.0", state: "ready" });
  await running.deliver("corral.plugin.failed", {}, { from: "elsewhere" });
  deepStrictEqual(from, ["corral", "elsewhere"]);
});

Deno.test("ctx.extensions.gather: answered by the fake contributions (a list or a function), in plugin order", async () => {
  let ctx: PluginContext | undefined;
  await using _running = await testPlugin(definePlugin({ app, init: (c) => void (ctx = c) }), {
    gather: {
      "admin.menu": [{ plugin: "z", value: 1 }, { plugin: "a", error: { code: "CORRAL_E_CALL_TIMEOUT", message: "slow" } }],
      "admin.search": (args) => [{ plugin: "notes", value: { query: args } }],
    },
  });
  deepStrictEqual(await ctx!.extensions.gather("admin.menu"), [
    { plugin: "a", error: { code: "CORRAL_E_CALL_TIMEOUT", message: "slow" } },
    { plugin: "z", value: 1 },
  ]);
  deepStrictEqual(await ctx!.extensions.gather("admin.search", "q"), [{ plugin: "notes", value: { query: "q" } }]);
  deepStrictEqual(await ctx!.extensions.gather("admin.other"), []);
  await rejects(ctx!.extensions.gather("admin"), TypeError);
});

Deno.test("ctx.extensions.gather with a manifest: only a declared point may be gathered", async () => {
  let ctx: PluginContext | undefined;
  await using _running = await testPlugin(definePlugin({ app, init: (c) => void (ctx = c) }), {
    name: "admin",
    manifest: { extensionPoints: { "admin.menu": {} } },
  });
  deepStrictEqual(await ctx!.extensions.gather("admin.menu"), []);
  await rejects(ctx!.extensions.gather("notes.menu"), (e: unknown) =>
    e instanceof CorralError && e.code === ErrorCode.CALL_DENIED && /may not gather "notes\.menu".*extensionPoints/.test(e.message));
});

Deno.test("contribute: runs the contribution with the args through JSON; undefined is null; a throw is CALL_FAILED and logged", async () => {
  const plugin = definePlugin({
    app,
    contributions: {
      "admin.menu": (args, ctx) => ({ label: ctx.name, args }),
      "admin.nothing": () => undefined,
      "admin.broken": async () => {
        await Promise.resolve();
        throw new Error("no menu today");
      },
    },
  });
  await using running = await testPlugin(plugin, { name: "notes" });
  deepStrictEqual(await running.contribute("admin.menu", { at: new Date(0) }), { label: "notes", args: { at: "1970-01-01T00:00:00.000Z" } });
  strictEqual(await running.contribute("admin.nothing"), null);
  await rejects(running.contribute("admin.broken"), (e: unknown) =>
    e instanceof CorralError && e.code === ErrorCode.CALL_FAILED && e.message === 'plugin "notes": its contribution to "admin.broken" threw: no menu today');
  ok(running.logs.some((r) => r.level === "error" && r.message === 'contribution to "admin.broken" failed: no menu today'));
  await rejects(running.contribute("admin.missing"), /defines no contribution for it: add contributions/);
  await using strict = await testPlugin(plugin, { manifest: { contributes: ["admin.menu"] } });
  await rejects(strict.contribute("admin.nothing"), /does not list "admin\.nothing" in its manifest's contributes/);
});
