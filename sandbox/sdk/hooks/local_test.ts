/** Tests of local request hooks (`definePlugin({ hooks })`), through `testPlugin()`. @module */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { definePlugin, type PluginContext, type PluginEnv, type RequestHooks } from "../mod.ts";
import { testPlugin } from "../testing.ts";

/** An app whose routes record that they ran in `trail`. */
function appWith(trail: string[]) {
  const app = new Hono<PluginEnv>();
  app.get("/", (c) => {
    trail.push("route");
    return c.text("route");
  });
  app.get("/locals", (c) => c.json(c.env.request.locals));
  app.get("/boom", () => {
    trail.push("route");
    throw new Error("route exploded");
  });
  app.get("/teapot", () => {
    throw new HTTPException(418, { message: "short and stout" });
  });
  return app;
}

Deno.test("hooks: beforeRequest in order, afterRequest and teardownRequest in reverse, around the route", async () => {
  const trail: string[] = [];
  const hooks: RequestHooks<PluginContext> = {
    beforeRequest: [() => void trail.push("before 1"), () => void trail.push("before 2")],
    afterRequest: [() => void trail.push("after 1"), () => void trail.push("after 2")],
    teardownRequest: [(_c, error) => void trail.push(`teardown 1 ${error}`), (_c, error) => void trail.push(`teardown 2 ${error}`)],
  };
  await using running = await testPlugin(definePlugin({ app: appWith(trail), hooks }));
  const response = await running.fetch("/");
  strictEqual(await response.text(), "route");
  deepStrictEqual(trail, [
    "before 1", "before 2", "route", "after 2", "after 1", "teardown 2 undefined", "teardown 1 undefined",
  ]);
});

Deno.test("hooks: a beforeRequest that returns a Response short-circuits the route and later beforeRequests; afterRequest still sees it", async () => {
  const trail: string[] = [];
  await using running = await testPlugin(definePlugin({
    app: appWith(trail),
    hooks: {
      beforeRequest: [(c) => c.json({ error: "log in first" }, 401), () => void trail.push("second before")],
      afterRequest: (_c, response) => {
        trail.push(`after ${response.status}`);
        response.headers.set("x-after", "yes");
      },
      teardownRequest: (_c, error) => void trail.push(`teardown ${error}`),
    },
  }));
  const response = await running.fetch("/");
  strictEqual(response.status, 401);
  deepStrictEqual(await response.json(), { error: "log in first" });
  strictEqual(response.headers.get("x-after"), "yes");
  deepStrictEqual(trail, ["after 401", "teardown undefined"]);
});

Deno.test("hooks: teardownRequest runs after a route error and gets it; the client gets a plain 500, the log the stack", async () => {
  const trail: string[] = [];
  let seen: unknown;
  await using running = await testPlugin(definePlugin({
    app: appWith(trail),
    hooks: { teardownRequest: (_c, error) => void (seen = error) },
  }));
  const response = await running.fetch("/boom");
  strictEqual(response.status, 500);
  const body = await response.text();
  strictEqual(body, "Internal Server Error");
  ok(!body.includes("route exploded"));
  ok(seen instanceof Error && seen.message === "route exploded");
  const logged = running.logs.find((record) => record.level === "error");
  ok(logged?.message.includes("route exploded"));
  ok(String(logged?.fields?.stack).includes("local_test.ts"));
});

Deno.test("hooks: onError turns route and hook errors into its response; afterRequest runs on it", async () => {
  const errors: string[] = [];
  await using running = await testPlugin(definePlugin({
    app: appWith([]),
    hooks: {
      beforeRequest: (c) => {
        if (c.req.query("fail") === "before") throw new Error("before failed");
      },
      afterRequest: (_c, response) => response.headers.set("x-after", "ran"),
      onError: (error, c) => {
        errors.push(error.message);
        return c.json({ failed: error.message }, 503);
      },
    },
  }));
  const fromRoute = await running.fetch("/boom");
  strictEqual(fromRoute.status, 503);
  deepStrictEqual(await fromRoute.json(), { failed: "route exploded" });
  strictEqual(fromRoute.headers.get("x-after"), "ran");
  const fromHook = await running.fetch("/?fail=before");
  strictEqual(fromHook.status, 503);
  deepStrictEqual(await fromHook.json(), { failed: "before failed" });
  deepStrictEqual(errors, ["route exploded", "before failed"]);
  // Both failures are in the log, with their stacks.
  strictEqual(running.logs.filter((record) => record.level === "error").length, 2);
});

Deno.test("hooks: an onError that throws, or an afterRequest that throws, ends as the plain 500; teardown gets the first error", async () => {
  let seen: unknown;
  await using running = await testPlugin(definePlugin({
    app: appWith([]),
    hooks: {
      afterRequest: (c) => {
        if (c.req.path === "/") throw new Error("after failed");
      },
      onError: () => {
        throw new Error("onError failed too");
      },
      teardownRequest: (_c, error) => void (seen = error),
    },
  }));
  const response = await running.fetch("/");
  strictEqual(response.status, 500);
  strictEqual(await response.text(), "Internal Server Error");
  strictEqual((seen as Error).message, "after failed");
  const messages = running.logs.map((record) => record.message);
  ok(messages.some((message) => message.includes("afterRequest threw: after failed")), messages.join("\n"));
  ok(messages.some((message) => message.includes("onError threw: onError failed too")), messages.join("\n"));
});

Deno.test("hooks: the app's own onError answers its routes first; teardown still learns of the error", async () => {
  const app = appWith([]);
  app.onError((error, c) => c.text(`app says: ${error.message}`, 502));
  let seen: unknown;
  let hookOnError = false;
  await using running = await testPlugin(definePlugin({
    app,
    hooks: {
      onError: (_error, c) => {
        hookOnError = true;
        return c.text("hooks say", 500);
      },
      teardownRequest: (_c, error) => void (seen = error),
    },
  }));
  const response = await running.fetch("/boom");
  strictEqual(response.status, 502);
  strictEqual(await response.text(), "app says: route exploded");
  strictEqual(hookOnError, false);
  strictEqual((seen as Error).message, "route exploded");
});

Deno.test("hooks: an HTTPException is an answer, not an error: its response, nothing logged, teardown gets undefined", async () => {
  const seen: unknown[] = [];
  await using running = await testPlugin(definePlugin({
    app: appWith([]),
    hooks: {
      beforeRequest: (c) => {
        if (c.req.query("deny") !== undefined) throw new HTTPException(403, { message: "denied" });
      },
      teardownRequest: (_c, error) => void seen.push(error),
    },
  }));
  strictEqual((await running.fetch("/?deny")).status, 403);
  strictEqual((await running.fetch("/teapot")).status, 418);
  deepStrictEqual(seen, [undefined, undefined]);
  deepStrictEqual(running.logs.filter((record) => record.level === "error"), []);
});

Deno.test("hooks: locals set in beforeRequest reach the route as c.env.request.locals, on top of the host's", async () => {
  await using running = await testPlugin(definePlugin({
    app: appWith([]),
    hooks: {
      beforeRequest: (c) => {
        c.locals.seenUser = c.locals.user ?? null;
        c.locals.lang = c.req.header("accept-language") ?? "en";
      },
    },
  }));
  const response = await running.fetch("/locals", { headers: { "accept-language": "fr" }, locals: { user: "ada" } });
  deepStrictEqual(await response.json(), { user: "ada", seenUser: "ada", lang: "fr" });
  // Locals are per request.
  deepStrictEqual(await (await running.fetch("/locals")).json(), { seenUser: null, lang: "en" });
});

Deno.test("hooks: afterRequest may replace the response", async () => {
  await using running = await testPlugin(definePlugin({
    app: appWith([]),
    hooks: { afterRequest: (c, response) => c.text(`wrapped ${response.status}`, 299) },
  }));
  const response = await running.fetch("/");
  strictEqual(response.status, 299);
  strictEqual(await response.text(), "wrapped 200");
});

Deno.test("hooks: what teardownRequest throws is only logged", async () => {
  await using running = await testPlugin(definePlugin({
    app: appWith([]),
    hooks: {
      teardownRequest: [() => {
        throw new Error("cleanup failed");
      }, () => {
        throw new Error("first cleanup failed");
      }],
    },
  }));
  const response = await running.fetch("/");
  strictEqual(response.status, 200);
  strictEqual(await response.text(), "route");
  // Both ran (in reverse order), both logged.
  deepStrictEqual(
    running.logs.filter((record) => record.level === "error").map((record) => record.message),
    ["GET /: teardownRequest threw: first cleanup failed", "GET /: teardownRequest threw: cleanup failed"],
  );
});

Deno.test("hooks: a hook that returns something other than a Response or nothing is an error", async () => {
  await using running = await testPlugin(definePlugin({
    app: appWith([]),
    // deno-lint-ignore no-explicit-any
    hooks: { beforeRequest: (() => "nope") as any },
  }));
  const response = await running.fetch("/");
  strictEqual(response.status, 500);
  ok(running.logs.some((record) => record.message.includes("beforeRequest returned \"nope\" instead of a Response or nothing")));
});

Deno.test("hooks: c.req has Hono's helpers; c.env is the plugin's context", async () => {
  let seen: unknown;
  await using running = await testPlugin(definePlugin({
    app: appWith([]),
    hooks: {
      beforeRequest: (c) => {
        seen = { path: c.req.path, method: c.req.method, page: c.req.query("page"), header: c.req.header("x-a"), name: c.env.name };
      },
    },
  }), { name: "hooked" });
  await running.fetch("/some/where?page=2", { method: "DELETE", headers: { "x-a": "1" } });
  deepStrictEqual(seen, { path: "/some/where", method: "DELETE", page: "2", header: "1", name: "hooked" });
});

Deno.test("hooks: a plugin without hooks answers as before", async () => {
  await using running = await testPlugin(definePlugin({ app: appWith([]) }));
  const response = await running.fetch("/boom");
  strictEqual(response.status, 500);
  strictEqual(await response.text(), "Internal Server Error");
});

Deno.test("testPlugin: fetch's locals, requestId, csrfToken and clientAddress reach c.env.request, with or without hooks", async () => {
  const app = new Hono<PluginEnv>();
  app.get("/request", (c) => c.json(c.env.request));
  for (const hooks of [undefined, { beforeRequest: () => {} }]) {
    await using running = await testPlugin(definePlugin({ app, hooks }));
    const response = await running.fetch("/request", { locals: { user: "ada" }, requestId: "r-1", csrfToken: "t-1", clientAddress: "203.0.113.7" });
    deepStrictEqual(await response.json(), { requestId: "r-1", csrfToken: "t-1", locals: { user: "ada" }, clientAddress: "203.0.113.7", secure: false });
    deepStrictEqual(await (await running.fetch("/request")).json(), { requestId: "", csrfToken: "", locals: {}, clientAddress: "", secure: false });
    // An https: URL is a request the host judged secure, as the runner builds it from the host's decision.
    strictEqual((await (await running.fetch("https://plugin.local/request")).json()).secure, true);
  }
});
