/** Tests of definePlugin()'s checks of `hooks` and `globalHooks`. @module */

import { ok, strictEqual, throws } from "node:assert/strict";
import { Hono } from "hono";
import { definePlugin } from "../mod.ts";

const app = new Hono();
const noop = () => {};

Deno.test("definePlugin: hooks take a function or an array of functions per kind, onError one function", () => {
  const definition = definePlugin({ app, hooks: { beforeRequest: [noop, noop], afterRequest: noop, onError: () => new Response() } });
  ok(Object.isFrozen(definition.hooks) && Object.isFrozen(definition.hooks?.beforeRequest));
  strictEqual(definePlugin({ app }).hooks, undefined);
});

Deno.test("definePlugin: a misspelt or mistyped hook fails at once, naming it", () => {
  // deno-lint-ignore no-explicit-any
  const define = (extra: any) => () => definePlugin({ app, ...extra });
  throws(define({ hooks: { beforeRequests: noop } }), /unknown hook "beforeRequests"; the hooks are beforeRequest, afterRequest, teardownRequest, onError/);
  throws(define({ hooks: { afterRequest: "noop" } }), /hooks.afterRequest must be a function or an array of functions, got "noop"/);
  throws(define({ hooks: { teardownRequest: [noop, 3] } }), /hooks.teardownRequest\[1\] must be a function, got 3/);
  throws(define({ hooks: { onError: [noop] } }), /hooks.onError must be a function, got an array/);
  throws(define({ hooks: [] }), /hooks must be an object like/);
  throws(define({ globalHooks: { onError: noop } }), /unknown hook "onError"; the hooks are beforeRequest, afterRequest, teardownRequest/);
  throws(define({ globalHooks: { beforeRequest: [noop] } }), /globalHooks.beforeRequest must be a function, got an array/);
});
