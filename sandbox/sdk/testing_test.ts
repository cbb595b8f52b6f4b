/** Tests of @corral/sdk/testing, the helper plugin authors test with. @module */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { definePlugin, type PluginDefinition, type PluginEnv } from "./mod.ts";
import { testPlugin } from "./testing.ts";

function plugin(hooks: Partial<Pick<PluginDefinition, "init" | "shutdown">> = {}) {
  const app = new Hono<PluginEnv>();
  app.get("/config", (c) => c.json(c.env.config));
  app.get("/who", (c) => c.text(`${c.env.name}@${c.env.version}`));
  app.get("/log", (c) => {
    c.env.log.info("hello", { n: 1 });
    return c.text("logged");
  });
  app.post("/echo", async (c) => c.text(await c.req.text()));
  app.get("/boom", () => {
    throw new Error("kaboom");
  });
  app.get("/teapot", () => {
    throw new HTTPException(418);
  });
  app.get("/big", (c) => c.text("x".repeat(100)));
  return definePlugin({ app, ...hooks });
}

Deno.test("testPlugin: fetch takes a path, a URL or a Request", async () => {
  await using running = await testPlugin(plugin());
  strictEqual(await (await running.fetch("/who")).text(), "test-plugin@0.0.0");
  strictEqual(await (await running.fetch("http://example.com/who")).text(), "test-plugin@0.0.0");
  const response = await running.fetch(new Request("http://plugin.local/echo", { method: "POST", body: "hi" }));
  strictEqual(await response.text(), "hi");
  strictEqual(await (await running.fetch("/echo", { method: "POST", body: "yo" })).text(), "yo");
});

Deno.test("testPlugin: the plugin sees the given name, version and a frozen copy of the config", async () => {
  const config = { greeting: "hi", nested: { list: [1, 2] } };
  let seen: unknown;
  await using running = await testPlugin(plugin({ init: (ctx) => void (seen = ctx.config) }), {
    config,
    name: "hello",
    version: "1.0.0",
  });
  strictEqual(await (await running.fetch("/who")).text(), "hello@1.0.0");
  deepStrictEqual(await (await running.fetch("/config")).json(), config);
  ok(seen !== config, "a copy, as it would come from the host");
  ok(Object.isFrozen(seen) && Object.isFrozen((seen as typeof config).nested.list));
});

Deno.test("testPlugin: logs collects what the plugin logs, with level, fields and time", async () => {
  await using running = await testPlugin(plugin({ init: (ctx) => ctx.log.debug("starting") }));
  await (await running.fetch("/log")).text();
  strictEqual(running.logs.length, 2);
  deepStrictEqual(running.logs.map(({ level, message, fields }) => ({ level, message, fields })), [
    { level: "debug", message: "starting", fields: undefined },
    { level: "info", message: "hello", fields: { n: 1 } },
  ]);
  ok(Math.abs(running.logs[1].timeMs - Date.now()) < 5_000);
});

Deno.test("testPlugin: a handler error answers 500 and is logged with its stack, as under the host", async () => {
  await using running = await testPlugin(plugin());
  const response = await running.fetch("/boom");
  strictEqual(response.status, 500);
  strictEqual(await response.text(), "Internal Server Error");
  strictEqual(running.logs[0].level, "error");
  strictEqual(running.logs[0].message, "GET /boom failed: kaboom");
  ok(String(running.logs[0].fields?.stack).includes("kaboom"));
  strictEqual((await running.fetch("/teapot")).status, 418);
  strictEqual(running.logs.length, 1, "an HTTPException is an answer, not a failure");
});

Deno.test("testPlugin: a plugin's own onError still answers, and the error is still logged", async () => {
  const app = new Hono();
  app.get("/boom", () => {
    throw new Error("kaboom");
  });
  app.onError((error, c) => c.json({ oops: error.message }, 503));
  await using running = await testPlugin(definePlugin({ app }));
  const response = await running.fetch("/boom");
  strictEqual(response.status, 503);
  deepStrictEqual(await response.json(), { oops: "kaboom" });
  strictEqual(running.logs[0].message, "GET /boom failed: kaboom");
});

Deno.test("testPlugin: maxBodyBytes turns a larger body into the host's 502", async () => {
  await using running = await testPlugin(plugin(), { maxBodyBytes: 10 });
  const response = await running.fetch("/big");
  strictEqual(response.status, 502);
  strictEqual((await response.json()).error.code, "CORRAL_E_RESPONSE_TOO_LARGE");
  strictEqual(running.logs[0].level, "warn");
});

Deno.test("testPlugin: close runs the shutdown hook once; fetch after close throws", async () => {
  let stops = 0;
  const running = await testPlugin(plugin({ shutdown: () => void stops++ }));
  await running.close();
  await running.close();
  await running[Symbol.asyncDispose]();
  strictEqual(stops, 1);
  await rejects(running.fetch("/who"), /fetch\(\) after close\(\) on plugin "test-plugin"/);
});

Deno.test("testPlugin: an init error propagates unchanged", async () => {
  const failure = new Error("no database");
  await rejects(
    testPlugin(plugin({
      init() {
        throw failure;
      },
    })),
    (error) => error === failure,
  );
});

Deno.test("testPlugin: refuses what definePlugin() did not make", async () => {
  const app = new Hono();
  await rejects(testPlugin({ app }), /made by definePlugin\(\{ app \}\)/);
});
