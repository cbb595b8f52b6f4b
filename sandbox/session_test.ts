/** Tests of the session's rules, driven through encoded frames with in-memory I/O. @module */

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { ErrorCode } from "../schemas/errors.ts";
import { definePlugin, type PluginEnv } from "./sdk/mod.ts";
import type { InitMessage } from "../schemas/messages.ts";
import { decodeFrame, encodeFrame, type Frame } from "./protocol/codec.ts";
import { waitForFrame } from "./_test_frames.ts";
import { ExitCode, Session } from "./session.ts";

const ENTRY = "file:///plugins/test/mod.ts";

function testApp() {
  const app = new Hono<PluginEnv>();
  app.get("/", (c) => c.text("root"));
  app.get("/slow", async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return c.text("slow");
  });
  app.get("/me", (c) => c.json({ name: c.env.name, version: c.env.version, config: c.env.config }));
  app.post("/echo", async (c) => c.body(await c.req.arrayBuffer()));
  app.get("/big", (c) => c.body(new Uint8Array(2000)));
  app.get("/boom", () => {
    throw new Error("kaboom");
  });
  app.get("/teapot", () => {
    throw new HTTPException(418, { message: "short and stout" });
  });
  return app;
}

/** A host stand-in: records what the session sends and how it exits. */
class Harness {
  readonly sent: Frame[] = [];
  exitCode: number | undefined;
  readonly events: string[] = [];
  readonly session: Session;

  constructor(modules: Record<string, unknown> = { [ENTRY]: { default: definePlugin({ app: testApp() }) } }) {
    this.session = new Session({
      send: (bytes) => this.sent.push(decodeFrame(bytes)),
      exit: (code) => {
        ok(this.exitCode === undefined, "exit called twice");
        this.exitCode = code;
      },
      importModule: (url) =>
        url in modules ? Promise.resolve(modules[url]) : Promise.reject(new TypeError(`Module not found "${url}".`)),
    });
    this.session.start();
  }

  send(frame: Frame): void {
    this.session.receive(encodeFrame(frame));
  }

  init(overrides: Partial<InitMessage> = {}): void {
    this.send({
      type: "init",
      id: 1,
      protocolMajor: 1,
      protocolMinor: 0,
      hostVersion: "0.1.0",
      pluginName: "test",
      pluginVersion: "1.2.3",
      entryUrl: ENTRY,
      mountPath: "/plugins/test",
      configJson: '{"greeting":"hi"}',
      maxBodyBytes: 1024,
      features: [],
      ...overrides,
    });
  }

  request(id: number, url: string, method = "GET", body = new Uint8Array(0)): void {
    this.send({ type: "request", id, method, url, headers: "host\nexample.com\n", body, remoteAddress: "::1" });
  }

  /** Waits until a frame matching `match` was sent, and returns it. */
  next(matches: (frame: Frame) => boolean): Promise<Frame> {
    return waitForFrame(this.sent, matches);
  }

  async ready(): Promise<void> {
    this.init();
    await this.next((f) => f.type === "ready");
  }
}

const byId = (id: number) => (frame: Frame) => frame.id === id;
const text = (frame: Frame) => frame.type === "response" ? new TextDecoder().decode(frame.body) : `<${frame.type}>`;

Deno.test("session: hello goes first, then init is answered by ready with the route count", async () => {
  const host = new Harness();
  deepStrictEqual(host.sent[0], {
    type: "hello",
    id: 0,
    protocolMajor: 1,
    protocolMinor: 1,
    sdkVersion: "0.1.0",
    runtimeVersion: `deno ${Deno.version.deno}`,
    features: ["database", "calls"],
  });
  host.init();
  deepStrictEqual(await host.next((f) => f.type === "ready"), { type: "ready", id: 1, routeCount: 7 });
});

Deno.test("session: a request is answered by a response with the same id, context in c.env", async () => {
  const host = new Harness();
  await host.ready();
  host.request(2, "/me?x=1");
  const response = await host.next(byId(2));
  ok(response.type === "response");
  strictEqual(response.status, 200);
  match(response.headers, /^content-type\napplication\/json\n$/);
  deepStrictEqual(JSON.parse(text(response)), { name: "test", version: "1.2.3", config: { greeting: "hi" } });
  host.request(3, "/echo", "POST", new Uint8Array([1, 2, 3]));
  const echoed = await host.next(byId(3));
  ok(echoed.type === "response");
  deepStrictEqual(Array.from(echoed.body), [1, 2, 3]);
});

Deno.test("session: requests run concurrently; each answer is sent when ready", async () => {
  const host = new Harness();
  await host.ready();
  host.request(2, "/slow");
  host.request(3, "/");
  await host.next(byId(2));
  const order = host.sent.filter((f) => f.type === "response").map((f) => f.id);
  deepStrictEqual(order, [3, 2]);
});

Deno.test("session: ping is answered at once, even while the plugin is still starting", async () => {
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  const host = new Harness({ [ENTRY]: { default: definePlugin({ app: testApp(), init: () => gate }) } });
  host.init();
  host.send({ type: "ping", id: 7 });
  deepStrictEqual(host.sent.at(-1), { type: "pong", id: 7 });
  release();
  await host.next((f) => f.type === "ready");
});

Deno.test("session: a protocol major mismatch is refused with CORRAL_E_PROTOCOL_VERSION, exit 1", async () => {
  const host = new Harness();
  host.init({ protocolMajor: 2, protocolMinor: 3 });
  const error = await host.next((f) => f.type === "error");
  ok(error.type === "error");
  strictEqual(error.id, 1);
  strictEqual(error.code, ErrorCode.PROTOCOL_VERSION);
  match(error.message, /speaks protocol 2\.3 but this plugin runner \(SDK 0\.1\.0\) speaks 1\.1/);
  strictEqual(host.exitCode, ExitCode.START_FAILED);
});

Deno.test("session: an entry that does not default-export definePlugin() fails with CORRAL_E_ENTRY_INVALID", async () => {
  for (const module of [{}, { default: { app: testApp() } }]) {
    const host = new Harness({ [ENTRY]: module });
    host.init();
    const error = await host.next((f) => f.type === "error");
    ok(error.type === "error");
    strictEqual(error.code, ErrorCode.ENTRY_INVALID);
    match(error.message, /default-export definePlugin\(\{ app \}\) from file:\/\/\/plugins\/test\/mod\.ts/);
    strictEqual(host.exitCode, ExitCode.START_FAILED);
  }
});

Deno.test("session: an init hook that throws fails with CORRAL_E_INIT_FAILED, message without stack", async () => {
  const failing = definePlugin({
    app: testApp(),
    init() {
      throw new Error("database unreachable");
    },
  });
  const host = new Harness({ [ENTRY]: { default: failing } });
  host.init();
  const error = await host.next((f) => f.type === "error");
  ok(error.type === "error");
  strictEqual(error.code, ErrorCode.INIT_FAILED);
  strictEqual(error.message, 'The init hook of plugin "test" threw: database unreachable');
  strictEqual(host.exitCode, ExitCode.START_FAILED);
});

Deno.test("session: a module that fails to load fails with CORRAL_E_INIT_FAILED naming the entry", async () => {
  const host = new Harness({});
  host.init();
  const error = await host.next((f) => f.type === "error");
  ok(error.type === "error");
  strictEqual(error.code, ErrorCode.INIT_FAILED);
  match(error.message, /could not be loaded from file:\/\/\/plugins\/test\/mod\.ts: Module not found/);
});

Deno.test("session: configJson that is not a JSON object is a protocol violation, exit 2", async () => {
  const host = new Harness();
  host.init({ configJson: "[1]" });
  const error = await host.next((f) => f.type === "error");
  ok(error.type === "error");
  strictEqual(error.code, ErrorCode.PROTOCOL_VIOLATION);
  strictEqual(host.exitCode, ExitCode.PROTOCOL_VIOLATION);
});

Deno.test("session: out-of-order and malformed input ends the session with error id 0, exit 2", async () => {
  const cases: Array<[string, (host: Harness) => void | Promise<void>, RegExp]> = [
    ["request before init", (host) => host.request(1, "/"), /before the plugin was ready/],
    [
      "undecodable bytes",
      (host) => host.session.receive(new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])),
      /undecodable frame/,
    ],
    ["over the segment cap", (host) => host.session.receive(new Uint8Array([0, 2, 0, 0])), /segments, over the cap/],
    [
      "a frame only plugins send",
      (host) => host.send({ type: "ready", id: 4, routeCount: 0 }),
      /which only a plugin sends/,
    ],
    ["id 0 on a ping", (host) => host.send({ type: "ping", id: 0 }), /with id 0/],
    ["init twice", async (host) => {
      await host.ready();
      host.init();
    }, /"init" \(id 1\) arrived twice/],
    ["duplicate request id", async (host) => {
      await host.ready();
      host.request(5, "/slow");
      host.request(5, "/");
    }, /request id 5 is already in flight/],
    [
      "an error reply to nothing",
      (host) => host.send({ type: "error", id: 9, code: "X", message: "y" }),
      /error for id 9, which this runner never used for a call/,
    ],
    [
      "a query result for no query",
      (host) => host.send({ type: "queryResult", id: 9, rowsJson: "[]", rowCount: 0, command: "", transactionId: 0 }),
      /"queryResult" for id 9, which this runner never used for a call/,
    ],
  ];
  for (const [name, act, message] of cases) {
    const host = new Harness();
    await act(host);
    const error = host.sent.at(-1);
    ok(error?.type === "error", name);
    strictEqual(error.id, 0, name);
    strictEqual(error.code, ErrorCode.PROTOCOL_VIOLATION, name);
    match(error.message, message, name);
    strictEqual(host.exitCode, ExitCode.PROTOCOL_VIOLATION, name);
    const count = host.sent.length;
    host.send({ type: "ping", id: 99 });
    strictEqual(host.sent.length, count, `${name}: nothing is answered after the end`);
  }
});

Deno.test("session: a malformed request fails alone; the session goes on", async () => {
  const host = new Harness();
  await host.ready();
  host.request(2, "no-slash");
  const error = await host.next(byId(2));
  ok(error.type === "error");
  strictEqual(error.code, ErrorCode.PROTOCOL_VIOLATION);
  match(error.message, /^Request 2 is malformed: the request url must start with "\/"/);
  host.request(3, "/");
  strictEqual(text(await host.next(byId(3))), "root");
  strictEqual(host.exitCode, undefined);
});

Deno.test("session: a body over maxBodyBytes becomes a 502 CORRAL_E_RESPONSE_TOO_LARGE and a warning", async () => {
  const host = new Harness();
  await host.ready();
  host.request(2, "/big");
  const response = await host.next(byId(2));
  ok(response.type === "response");
  strictEqual(response.status, 502);
  const { error } = JSON.parse(text(response));
  strictEqual(error.code, ErrorCode.RESPONSE_TOO_LARGE);
  match(error.message, /plugin "test" answering GET \/big is over the host's limit of 1024 bytes/);
  const warning = host.sent.find((f) => f.type === "log");
  ok(warning?.type === "log");
  strictEqual(warning.level, "warn");
});

Deno.test("session: a handler error is a 500 for the client and an error log with the stack for the operator", async () => {
  const host = new Harness();
  await host.ready();
  host.request(2, "/boom");
  const response = await host.next(byId(2));
  ok(response.type === "response");
  strictEqual(response.status, 500);
  strictEqual(text(response), "Internal Server Error");
  const log = host.sent.find((f) => f.type === "log");
  ok(log?.type === "log");
  strictEqual(log.level, "error");
  strictEqual(log.message, "GET /boom failed: kaboom");
  match(JSON.parse(log.fieldsJson).stack, /kaboom/);
  host.request(3, "/teapot");
  strictEqual((await host.next(byId(3)) as { status: number }).status, 418);
  strictEqual(host.sent.filter((f) => f.type === "log").length, 1, "an HTTPException is not logged");
});

Deno.test("session: shutdown waits for requests in flight, runs the hook, answers, exits 0", async () => {
  const order: string[] = [];
  const app = testApp();
  const plugin = definePlugin({ app, shutdown: () => void order.push("hook") });
  const host = new Harness({ [ENTRY]: { default: plugin } });
  await host.ready();
  host.request(2, "/slow");
  host.send({ type: "shutdown", id: 3, reason: "test", deadlineMs: 1000 });
  host.request(4, "/");
  const refused = await host.next(byId(4));
  ok(refused.type === "error");
  strictEqual(refused.code, ErrorCode.SHUTTING_DOWN);
  await host.next((f) => f.type === "shutdownComplete");
  deepStrictEqual(host.sent.filter((f) => f.id === 2 || f.id === 3).map((f) => f.type), [
    "response",
    "shutdownComplete",
  ]);
  deepStrictEqual(order, ["hook"]);
  strictEqual(host.exitCode, ExitCode.OK);
});

Deno.test("session: a shutdown hook that hangs is cut off before the host's deadline", async () => {
  const plugin = definePlugin({ app: testApp(), shutdown: () => new Promise(() => {}) });
  const host = new Harness({ [ENTRY]: { default: plugin } });
  await host.ready();
  const start = performance.now();
  host.send({ type: "shutdown", id: 2, reason: "test", deadlineMs: 200 });
  await host.next((f) => f.type === "shutdownComplete");
  const took = performance.now() - start;
  // Only the lower bound is a fact: the cut-off timer cannot fire early, but a loaded machine may run it late.
  ok(took >= 150, `took ${took} ms`);
  const warning = host.sent.find((f) => f.type === "log");
  ok(warning?.type === "log");
  match(warning.message, /still running after 160 ms/);
  strictEqual(host.exitCode, ExitCode.OK);
});

Deno.test("session: shutdown before ready answers at once and exits 0", () => {
  const host = new Harness();
  host.send({ type: "shutdown", id: 1, reason: "test", deadlineMs: 1000 });
  deepStrictEqual(host.sent.at(-1), { type: "shutdownComplete", id: 1 });
  strictEqual(host.exitCode, ExitCode.OK);
});

Deno.test("session: migrate for a plugin without a database is answered with CORRAL_E_MIGRATION_FAILED; the session goes on", async () => {
  const host = new Harness();
  await host.ready();
  host.send({ type: "migrate", id: 2, action: "status" });
  const error = await host.next(byId(2));
  ok(error?.type === "error");
  strictEqual(error.id, 2);
  strictEqual(error.code, ErrorCode.MIGRATION_FAILED);
  match(error.message, /plugin "test" has no database: add "database": true to its plugin\.json/);
  host.send({ type: "ping", id: 3 });
  deepStrictEqual(host.sent.at(-1), { type: "pong", id: 3 });
});

Deno.test("session: a fatal error from the host (id 0) ends the session with exit 0", () => {
  const host = new Harness();
  const original = console.error;
  const printed: unknown[] = [];
  console.error = (...args: unknown[]) => void printed.push(...args);
  try {
    host.send({ type: "error", id: 0, code: ErrorCode.SHUTTING_DOWN, message: "bye" });
  } finally {
    console.error = original;
  }
  strictEqual(host.exitCode, ExitCode.OK);
  deepStrictEqual(printed, ["corral: the host ended the session: CORRAL_E_SHUTTING_DOWN: bye"]);
});
