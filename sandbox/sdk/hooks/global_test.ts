/** Tests of global hook entry points (`definePlugin({ globalHooks })`), through `testPlugin().globalHooks`. @module */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { definePlugin, type GlobalRequest, type GlobalRequestHooks, type PluginContext, type RequestOutcome } from "../mod.ts";
import { testPlugin } from "../testing.ts";

function plugin(globalHooks: GlobalRequestHooks<PluginContext>) {
  return definePlugin({ app: new Hono(), globalHooks });
}

Deno.test("globalHooks.beforeRequest: nothing continues; { locals } continues with them; the request has header() and cookie()", async () => {
  const seen: GlobalRequest[] = [];
  await using auth = await testPlugin(plugin({
    beforeRequest(request) {
      seen.push(request);
      const user = request.cookie("session");
      return user === undefined ? undefined : { locals: { user, via: request.header("X-Via") ?? null } };
    },
  }));
  deepStrictEqual(await auth.globalHooks.beforeRequest(), { action: "continue" });
  const answer = await auth.globalHooks.beforeRequest({
    method: "POST",
    path: "/plugins/notes/new",
    query: "draft=1",
    headers: { Cookie: "theme=dark; session=ada%20l", "x-via": "proxy" },
    target: "notes",
    locals: { tenant: "acme" },
  });
  deepStrictEqual(answer, { action: "continue", locals: { user: "ada l", via: "proxy" } });
  const request = seen[1]!;
  deepStrictEqual(
    { method: request.method, path: request.path, query: request.query, target: request.target, locals: request.locals },
    { method: "POST", path: "/plugins/notes/new", query: "draft=1", target: "notes", locals: { tenant: "acme" } },
  );
  ok(Object.isFrozen(request) && Object.isFrozen(request.headers) && Object.isFrozen(request.locals));
});

Deno.test("globalHooks.beforeRequest: a Response becomes a short-circuit with its status, headers (each set-cookie) and text body", async () => {
  await using auth = await testPlugin(plugin({
    beforeRequest() {
      const headers = new Headers({ location: "/login", "content-type": "text/plain" });
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response("to the login page", { status: 302, headers });
    },
  }));
  deepStrictEqual(await auth.globalHooks.beforeRequest({ path: "/plugins/admin/" }), {
    action: "respond",
    status: 302,
    headers: [["content-type", "text/plain"], ["location", "/login"], ["set-cookie", "a=1"], ["set-cookie", "b=2"]],
    body: "to the login page",
  });
});

Deno.test("globalHooks.beforeRequest: an answer of the wrong shape, or locals that are not a JSON object, fail the call", async () => {
  const answers: unknown[] = ["yes", { locals: [1, 2] }, { user: "ada" }, { locals: { big: "x".repeat(70_000) } }];
  await using auth = await testPlugin(plugin({
    // deno-lint-ignore no-explicit-any
    beforeRequest: (() => answers.shift()) as any,
  }));
  for (const expected of [/must return nothing, \{ locals \} or a Response, got "yes"/, /locals must be a JSON object/, /got an object with keys \["user"\]/, /at most 65536 bytes/]) {
    await rejects(auth.globalHooks.beforeRequest(), (e: unknown) => e instanceof CorralError && e.code === ErrorCode.CALL_FAILED && expected.test(e.message));
  }
});

Deno.test("globalHooks: a kind the plugin did not define answers CORRAL_E_CALL_UNKNOWN, naming the manifest field", async () => {
  await using running = await testPlugin(plugin({}), { name: "auth" });
  await rejects(running.globalHooks.afterRequest(), (error: unknown) =>
    error instanceof CorralError && error.code === ErrorCode.CALL_UNKNOWN &&
    error.message.includes(`plugin "auth" declares globalHooks.afterRequest in its plugin.json but its definePlugin() has no globalHooks.afterRequest`));
});

Deno.test("globalHooks.afterRequest: changes to response.headers come back as edits; set-cookie values stay apart", async () => {
  let status = 0;
  await using running = await testPlugin(plugin({
    afterRequest(_request, response) {
      status = response.status;
      response.headers.set("x-frame-options", "DENY");
      response.headers.delete("x-powered-by");
      response.headers.append("set-cookie", "seen=1");
      response.headers.set("content-type", "text/html"); // unchanged value: no edit
    },
  }));
  const edits = await running.globalHooks.afterRequest({}, {
    status: 201,
    headers: [["content-type", "text/html"], ["x-powered-by", "php"], ["set-cookie", "a=1"]],
  });
  strictEqual(status, 201);
  deepStrictEqual(edits, {
    remove: ["x-powered-by"],
    set: [["set-cookie", "a=1"], ["set-cookie", "seen=1"], ["x-frame-options", "DENY"]],
  });
});

Deno.test("globalHooks: afterRequest and teardownRequest never see cookie or authorization; beforeRequest does", async () => {
  const headers: Record<string, Readonly<Record<string, string>>> = {};
  await using running = await testPlugin(plugin({
    beforeRequest: (request) => void (headers.before = request.headers),
    afterRequest: (request) => void (headers.after = request.headers),
    teardownRequest: (request) => void (headers.teardown = request.headers),
  }));
  const request = { headers: { cookie: "session=1", authorization: "Bearer x", "user-agent": "t" } };
  await running.globalHooks.beforeRequest(request);
  await running.globalHooks.afterRequest(request);
  await running.globalHooks.teardownRequest(request);
  deepStrictEqual(headers, {
    before: { cookie: "session=1", authorization: "Bearer x", "user-agent": "t" },
    after: { "user-agent": "t" },
    teardown: { "user-agent": "t" },
  });
});

Deno.test("globalHooks.teardownRequest: gets the outcome and the plugin's context; what it throws rejects the call", async () => {
  const outcomes: RequestOutcome[] = [];
  let name = "";
  await using running = await testPlugin(plugin({
    teardownRequest(request, outcome, ctx) {
      outcomes.push(outcome);
      name = ctx.name;
      if (request.path === "/fail") throw new Error("could not record");
    },
  }), { name: "audit" });
  const error = { code: "CORRAL_E_REQUEST_TIMEOUT", message: "too slow" };
  await running.globalHooks.teardownRequest({}, { status: 504, error, durationMs: 12 });
  deepStrictEqual(outcomes, [{ status: 504, error, durationMs: 12 }]);
  strictEqual(name, "audit");
  await rejects(running.globalHooks.teardownRequest({ path: "/fail" }), /could not record/);
});
