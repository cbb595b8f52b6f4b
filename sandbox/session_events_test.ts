/** Tests of events and extension points through the session: the frames a plugin sends and answers. @module */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { ErrorCode } from "../schemas/errors.ts";
import { definePlugin, type PluginEnv, type PluginEvent } from "./sdk/mod.ts";
import { decodeFrame, encodeFrame, type Frame } from "./protocol/codec.ts";
import { waitForFrame } from "./_test_frames.ts";
import { Session } from "./session.ts";

function start() {
  const sent: Frame[] = [];
  const received: PluginEvent[] = [];
  const app = new Hono<PluginEnv>();
  app.post("/emit", async (c) => c.json(await c.env.events.emit("notes.created", { id: 1 })));
  app.get("/menu", async (c) => c.json(await c.env.extensions.gather("admin.menu", { user: "ada" })));
  const plugin = definePlugin({
    app,
    events: { "notes.*": (event) => void received.push(event) },
    contributions: { "admin.menu": (args) => ({ label: "Notes", args }) },
  });
  const session = new Session({ send: (bytes) => sent.push(decodeFrame(bytes)), exit: () => {}, importModule: () => Promise.resolve({ default: plugin }) });
  session.start();
  const send = (frame: Frame) => session.receive(encodeFrame(frame));
  send({
    type: "init", id: 1, protocolMajor: 1, protocolMinor: 1, hostVersion: "0.1.0", pluginName: "notes",
    pluginVersion: "1.0.0", entryUrl: "file:///plugins/notes/mod.ts", mountPath: "/plugins/notes", configJson: "{}", maxBodyBytes: 1 << 20, features: ["calls"],
  });
  return { sent, send, received, next: (m: (f: Frame) => boolean) => waitForFrame(sent, m) };
}

function request(id: number, method: string, url: string): Frame {
  return { type: "request", id, method, url, headers: "host\nplugin.local\n", body: new Uint8Array(0), remoteAddress: "::1" };
}

Deno.test("session: ctx.events.emit is a call to events.emit, and its receipt comes back to the plugin", async () => {
  const s = start();
  await s.next((f) => f.type === "ready");
  s.send(request(2, "POST", "/emit"));
  const call = await s.next((f) => f.type === "call");
  ok(call.type === "call");
  strictEqual(call.method, "events.emit");
  deepStrictEqual(JSON.parse(call.payloadJson), { name: "notes.created", payload: { id: 1 } });
  s.send({ type: "callResult", id: call.id, payloadJson: '{"id":41,"queued":2}' });
  const response = await s.next((f) => f.id === 2 && f.type === "response");
  ok(response.type === "response");
  deepStrictEqual(JSON.parse(new TextDecoder().decode(response.body)), { id: 41, queued: 2 });
});

Deno.test("session: a refusal from the host reaches the plugin as a CorralError with the host's code", async () => {
  const s = start();
  await s.next((f) => f.type === "ready");
  s.send(request(2, "GET", "/menu"));
  const call = await s.next((f) => f.type === "call");
  ok(call.type === "call" && call.method === "extensions.gather");
  deepStrictEqual(JSON.parse(call.payloadJson), { point: "admin.menu", args: { user: "ada" } });
  s.send({ type: "error", id: call.id, code: ErrorCode.CALL_DENIED, message: "not yours" });
  const response = await s.next((f) => f.id === 2 && f.type === "response");
  ok(response.type === "response");
  strictEqual(response.status, 500, "the app did not catch it: Hono's 500");
});

Deno.test("session: the host's events.deliver and extensions.contribute calls run the plugin's handlers", async () => {
  const s = start();
  await s.next((f) => f.type === "ready");
  const event = { id: 9, name: "notes.created", payload: { id: 1 }, from: "editor", time: "2026-01-01T00:00:00.000Z" };
  s.send({ type: "call", id: 2, method: "events.deliver", payloadJson: JSON.stringify(event) });
  deepStrictEqual(await s.next((f) => f.id === 2), { type: "callResult", id: 2, payloadJson: '{"handlers":1}' });
  deepStrictEqual(s.received, [event]);
  s.send({ type: "call", id: 3, method: "extensions.contribute", payloadJson: '{"point":"admin.menu","args":{"user":"ada"}}' });
  deepStrictEqual(await s.next((f) => f.id === 3), { type: "callResult", id: 3, payloadJson: '{"label":"Notes","args":{"user":"ada"}}' });
  s.send({ type: "call", id: 4, method: "events.deliver", payloadJson: '{"name":"x"}' });
  const bad = await s.next((f) => f.id === 4);
  ok(bad.type === "error" && bad.code === ErrorCode.CALL_FAILED && /expects \{id, name, payload, from, time\}/.test(bad.message));
});
