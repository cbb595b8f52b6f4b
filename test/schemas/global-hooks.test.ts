/** Tests for the global hook contract: the checks the host applies to every hook answer. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkLocals, MAX_LOCALS_BYTES, parseAfterRequestAnswer, parseBeforeRequestAnswer, withoutCredentials } from "../../schemas/global-hooks.ts";

const throwsLike = (fn: () => unknown, pattern: RegExp) => {
  try {
    fn();
  } catch (error) {
    assert.instance(error, TypeError);
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a TypeError matching ${pattern}`);
};

test("beforeRequest: null continues; continue may carry locals, copied through JSON", () => {
  assert.equal(parseBeforeRequestAnswer(null), { action: "continue" });
  const locals = { user: { id: 7 } };
  const answer = parseBeforeRequestAnswer({ action: "continue", locals });
  assert.equal(answer, { action: "continue", locals });
  assert.is.not((answer as { locals: unknown }).locals, locals);
});

test("beforeRequest: respond needs a status from 200 to 599, [name, value] headers and a text body", () => {
  assert.equal(parseBeforeRequestAnswer({ action: "respond", status: 302, headers: [["Location", "/login"]], body: "" }),
    { action: "respond", status: 302, headers: [["location", "/login"]], body: "" });
  throwsLike(() => parseBeforeRequestAnswer({ action: "respond", status: 101, headers: [], body: "" }), /status must be an integer from 200 to 599, got 101/);
  throwsLike(() => parseBeforeRequestAnswer({ action: "respond", status: 200.5, headers: [], body: "" }), /got 200.5/);
  throwsLike(() => parseBeforeRequestAnswer({ action: "respond", status: 200, headers: [], body: 3 }), /body must be a string, got 3/);
  throwsLike(() => parseBeforeRequestAnswer({ action: "respond", status: 200, headers: { a: "b" }, body: "" }), /must be an array of \[name, value\] pairs/);
  throwsLike(() => parseBeforeRequestAnswer({ action: "respond", status: 200, headers: [["bad name", "x"]], body: "" }), /"bad name" is not a valid header name/);
  throwsLike(() => parseBeforeRequestAnswer({ action: "respond", status: 200, headers: [["x-a", "1\r\nset-cookie: evil=1"]], body: "" }), /the value of "x-a" holds a control character/);
});

test("beforeRequest: anything else is refused with what was wrong", () => {
  throwsLike(() => parseBeforeRequestAnswer("continue"), /the answer must be a JSON object or null, got "continue"/);
  throwsLike(() => parseBeforeRequestAnswer({ action: "skip" }), /action must be "continue" or "respond", got "skip"/);
  throwsLike(() => parseBeforeRequestAnswer({ action: "continue", locals: [1] }), /locals must be a JSON object/);
  throwsLike(() => parseBeforeRequestAnswer({ action: "continue", locals: { big: "x".repeat(MAX_LOCALS_BYTES) } }), /at most 65536 bytes/);
});

test("afterRequest: null is no change; remove and set are checked and lower-cased", () => {
  assert.equal(parseAfterRequestAnswer(null), { remove: [], set: [] });
  assert.equal(parseAfterRequestAnswer({ remove: ["X-Powered-By"], set: [["X-Frame-Options", "DENY"]] }),
    { remove: ["x-powered-by"], set: [["x-frame-options", "DENY"]] });
  throwsLike(() => parseAfterRequestAnswer({ remove: "x-a" }), /"remove" must be an array of header names/);
  throwsLike(() => parseAfterRequestAnswer({ set: [["x-a"]] }), /"set" must be an array of \[name, value\] pairs of strings/);
});

test("checkLocals refuses what JSON cannot carry", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  throwsLike(() => checkLocals(cyclic), /locals must be JSON-serializable/);
  throwsLike(() => checkLocals(null), /locals must be a JSON object/);
});

test("afterRequest and teardownRequest requests lose cookie and authorization only", () => {
  const request = { method: "GET", path: "/", query: "", remoteAddress: "", secure: false, requestId: "", target: null, locals: {},
    headers: { cookie: "s=1", authorization: "Bearer t", accept: "*/*" } };
  assert.equal(withoutCredentials(request).headers, { accept: "*/*" });
  assert.equal(request.headers.cookie, "s=1");
});

test.run();
