// The host's capnp-ts codec: what a plugin may send decodes, anything else is a protocol violation,
// and frames produced by the Deno side's capnp-es codec decode identically (wire compatibility).
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as capnp from "capnp-ts";
import { Frame } from "../../schemas/generated/capnp-ts/protocol.capnp.js";
import { decodePluginMessage, encodeHostMessage, ProtocolViolation } from "../../host/protocol/codec.ts";
import { resolveDenoBinary } from "../../host/runtime-paths.ts";

const ROOT = resolve(import.meta.dirname, "../..");

function pluginFrame(build: (frame: Frame) => void): Uint8Array {
  const message = new capnp.Message();
  build(message.initRoot(Frame));
  return new Uint8Array(message.toArrayBuffer());
}

test("a response decodes with status, headers and body", () => {
  const bytes = pluginFrame((f) => {
    f.setId(9);
    const r = f.initResponse();
    r.setStatus(201);
    r.setHeaders("content-type\ntext/plain\n");
    r.initBody(3).copyBuffer(new Uint8Array([1, 2, 3]));
  });
  // The body is a view of the frame: FrameReader hands out every frame in a buffer of its own.
  const message = decodePluginMessage(bytes);
  assert.equal(message, { type: "response", id: 9, status: 201, headers: "content-type\ntext/plain\n", body: new Uint8Array([1, 2, 3]) });
});

test("a log record keeps its level and fields", () => {
  const message = decodePluginMessage(pluginFrame((f) => {
    const log = f.initLog();
    log.setLevel(2);
    log.setMessage("careful");
    log.setFieldsJson('{"a":1}');
    log.setTimeMs(1700000000000);
  }));
  assert.equal(message, { type: "log", id: 0, level: "warn", message: "careful", fieldsJson: '{"a":1}', timeMs: 1700000000000 });
});

test("host-only messages from a plugin are protocol violations", () => {
  for (const message of [
    encodeHostMessage({ type: "ping", id: 1 }),
    encodeHostMessage({ type: "request", id: 1, method: "GET", url: "/", headers: "", body: new Uint8Array(0), remoteAddress: "" }),
    encodeHostMessage({ type: "shutdown", id: 1, reason: "x", deadlineMs: 1 }),
  ]) {
    assert.throws(() => decodePluginMessage(message), (e: unknown) => e instanceof ProtocolViolation);
  }
  assert.throws(() => decodePluginMessage(pluginFrame(() => {})), /may not send a frame of kind UNSPECIFIED/);
});

test("garbage bytes are a protocol violation, not a crash", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const bytes = new Uint8Array(8 + (seed % 64) * 8).map((_, i) => (i * seed * 2654435761) >>> 24);
    new DataView(bytes.buffer).setUint32(0, 0, true);
    new DataView(bytes.buffer).setUint32(4, (bytes.byteLength - 8) / 8, true);
    try {
      decodePluginMessage(bytes);
    } catch (error) {
      assert.instance(error, ProtocolViolation);
    }
  }
});

test("frames encoded by the Deno side (capnp-es) decode on the host (capnp-ts)", () => {
  const script = `
    import * as $ from "capnp-es";
    import { Frame } from "./schemas/generated/capnp-es/protocol.ts";
    const m = new $.Message();
    const f = m.initRoot(Frame);
    f.id = 42;
    const r = f._initResponse();
    r.status = 418;
    r.headers = "x-tea\\nyes\\n";
    r._initBody(4).copyBuffer(new Uint8Array([104, 105, 33, 10]));
    const out = new Uint8Array(m.toArrayBuffer());
    await Deno.stdout.write(new TextEncoder().encode(btoa(String.fromCharCode(...out))));
  `;
  const base64 = execFileSync(resolveDenoBinary(), ["eval", "--config", "deno.json", "--no-remote", script], { cwd: ROOT, encoding: "utf8" });
  const message = decodePluginMessage(new Uint8Array(Buffer.from(base64, "base64")));
  assert.equal(message, { type: "response", id: 42, status: 418, headers: "x-tea\nyes\n", body: new Uint8Array([104, 105, 33, 10]) });
});

test.run();
