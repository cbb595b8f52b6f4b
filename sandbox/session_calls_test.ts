/** Tests of `call` frames both ways and of the host's request context, through the session. @module */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { ErrorCode } from "../schemas/errors.ts";
import { CONTEXT_HEADER, encodeRequestContext } from "../schemas/request-context.ts";
import { definePlugin, type PluginEnv } from "./sdk/mod.ts";
import { decodeFrame, encodeFrame, type Frame } from "./protocol/codec.ts";
import { waitForFrame } from "./_test_frames.ts";
import { Session } from "./session.ts";

const ENTRY = "file:///plugins/calls/mod.ts";

function start(features: string[]) {
  const sent: Frame[] = [];
  const app = new Hono<PluginEnv>();
  app.get("/who", (c) => c.json({ user: c.env.request.locals.user ?? null, id: c.env.request.requestId, headers: [...c.req.raw.headers.keys()] }));
  const session = new Session({
    send: (bytes) => sent.push(decodeFrame(bytes)),
    exit: () => {},
    importModule: () => Promise.resolve({ default: definePlugin({ app }) }),
  });
  session.start();
  const send = (frame: Frame) => session.receive(encodeFrame(frame));
  send({
    type: "init", id: 1, protocolMajor: 1, protocolMinor: 1, hostVersion: "0.1.0", pluginName: "calls",
    pluginVersion: "1.0.0", entryUrl: ENTRY, mountPath: "/plugins/calls", configJson: "{}", maxBodyBytes: 1024, features,
  });
  return { sent, send, next: (m: (f: Frame) => boolean) => waitForFrame(sent, m) };
}

Deno.test("calls: the host calls a plugin entry point and gets its JSON result", async () => {
  const s = start(["calls"]);
  await s.next((f) => f.type === "ready");
  s.send({ type: "call", id: 2, method: "corral.echo", payloadJson: '{"n":1}' });
  const answer = await s.next((f) => f.id === 2);
  deepStrictEqual(answer, { type: "callResult", id: 2, payloadJson: '{"plugin":"calls","payload":{"n":1}}' });
});

Deno.test("calls: an unknown entry point is an error with CORRAL_E_CALL_UNKNOWN, and the session goes on", async () => {
  const s = start(["calls"]);
  await s.next((f) => f.type === "ready");
  s.send({ type: "call", id: 2, method: "nope.nothing", payloadJson: "" });
  const answer = await s.next((f) => f.id === 2);
  ok(answer.type === "error");
  strictEqual(answer.code, ErrorCode.CALL_UNKNOWN);
  s.send({ type: "ping", id: 3 });
  strictEqual((await s.next((f) => f.id === 3)).type, "pong");
});

Deno.test("calls: a call without the negotiated feature is a protocol violation", async () => {
  const s = start([]);
  await s.next((f) => f.type === "ready");
  s.send({ type: "call", id: 2, method: "corral.echo", payloadJson: "" });
  const answer = await s.next((f) => f.type === "error");
  ok(answer.type === "error");
  strictEqual(answer.code, ErrorCode.PROTOCOL_VIOLATION);
});

Deno.test("calls: the host's request context reaches c.env.request and the raw header does not reach the app", async () => {
  const s = start(["calls"]);
  await s.next((f) => f.type === "ready");
  const context = encodeRequestContext({ requestId: "r-1", csrfToken: "t", locals: { user: { id: 7 } } });
  s.send({
    type: "request", id: 2, method: "GET", url: "/who", body: new Uint8Array(0), remoteAddress: "::1",
    headers: `host\nexample.com\n${CONTEXT_HEADER}\n${context}\n`,
  });
  const answer = await s.next((f) => f.id === 2);
  ok(answer.type === "response");
  deepStrictEqual(JSON.parse(new TextDecoder().decode(answer.body)), { user: { id: 7 }, id: "r-1", headers: ["host"] });
});
