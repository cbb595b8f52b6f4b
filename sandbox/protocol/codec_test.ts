/** Tests of the frame codec, its fast paths pinned to capnp-es. @module */

import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { RequestMessage, ResponseMessage } from "../../schemas/messages.ts";
import { decodeFrame, decodeWithCapnpEs, encodeFrame, encodeWithCapnpEs, type Frame } from "./codec.ts";

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const everyFrame: Frame[] = [
  {
    type: "hello",
    id: 0,
    protocolMajor: 1,
    protocolMinor: 0,
    sdkVersion: "0.1.0",
    runtimeVersion: "deno 2.9.6",
    features: [],
  },
  {
    type: "init",
    id: 1,
    protocolMajor: 1,
    protocolMinor: 0,
    hostVersion: "0.1.0",
    pluginName: "hello",
    pluginVersion: "1.0.0",
    entryUrl: "file:///srv/plugins/hello/mod.ts",
    mountPath: "/plugins/hello",
    configJson: '{"a":1}',
    maxBodyBytes: 1048576,
    features: ["x", "stream-body"],
  },
  { type: "ready", id: 1, routeCount: 3 },
  {
    type: "request",
    id: 2,
    method: "POST",
    url: "/echo?x=é",
    headers: "host\nexample.com\ncontent-type\ntext/plain\n",
    body: bytes(13),
    remoteAddress: "::1",
  },
  { type: "response", id: 2, status: 201, headers: "set-cookie\na=1\nset-cookie\nb=2\n", body: bytes(9) },
  { type: "ping", id: 3 },
  { type: "pong", id: 3 },
  { type: "shutdown", id: 4, reason: "host stopping", deadlineMs: 5000 },
  { type: "shutdownComplete", id: 4 },
  { type: "log", id: 0, level: "warn", message: "slow", fieldsJson: '{"ms":12.5}', timeMs: 1700000000123.5 },
  { type: "error", id: 0, code: ErrorCode.PROTOCOL_VIOLATION, message: "bad", sqlState: "" },
  { type: "error", id: 6, code: ErrorCode.DB_QUERY_FAILED, message: "denied", sqlState: "42501" },
  { type: "query", id: 7, sql: "select $1::int", paramsJson: "[1]", transactionId: 0 },
  { type: "queryResult", id: 7, rowsJson: '[{"x":1}]', rowCount: -1, command: "SELECT", transactionId: 3 },
  { type: "transaction", id: 8, action: "rollback", transactionId: 3 },
  { type: "migrate", id: 9, action: "down" },
  { type: "migrateResult", id: 9, resultJson: '{"applied":[]}' },
];

Deno.test("codec: every frame type survives encode then decode", () => {
  for (const frame of everyFrame) {
    deepStrictEqual(normalise(decodeFrame(encodeFrame(frame))), normalise(frame), frame.type);
    deepStrictEqual(normalise(decodeWithCapnpEs(encodeWithCapnpEs(frame))), normalise(frame), frame.type);
  }
});

Deno.test("codec: the response fast path writes exactly the bytes capnp-es writes", () => {
  const headerSets = ["", "content-type\ntext/plain\n", "x-é\nvalüe ✓ 😀\n", "a\n\n".repeat(50)];
  for (const headers of headerSets) {
    for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 1000, 70_000]) {
      const frame: ResponseMessage = {
        type: "response",
        id: 0xfffffffe,
        status: 599,
        headers,
        body: bytes(length, length),
      };
      deepStrictEqual(
        encodeFrame(frame),
        encodeWithCapnpEs(frame),
        `headers ${JSON.stringify(headers)}, body ${length}`,
      );
    }
  }
});

Deno.test("codec: the request fast path reads what capnp-es reads", () => {
  for (const headers of ["", "host\nexample.com\n", "x-é\nvalüe ✓ 😀\n"]) {
    for (const length of [0, 1, 8, 9, 4096]) {
      const frame: RequestMessage = {
        type: "request",
        id: 42,
        method: length ? "PUT" : "",
        url: "/a/b?c=d",
        headers,
        body: bytes(length),
        remoteAddress: length ? "203.0.113.7" : "",
      };
      const encoded = encodeWithCapnpEs(frame);
      deepStrictEqual(normalise(decodeFrame(encoded)), normalise(decodeWithCapnpEs(encoded)));
      deepStrictEqual(normalise(decodeFrame(encoded.slice().buffer)), normalise(frame));
    }
  }
});

Deno.test("codec: a request in two segments is declined by the fast path and read by capnp-es", () => {
  const frame = everyFrame[3] as RequestMessage;
  const single = encodeWithCapnpEs(frame);
  // Same message plus an empty second segment: table grows from 8 to 16 bytes.
  const twoSegments = new Uint8Array(single.byteLength + 8);
  const view = new DataView(twoSegments.buffer);
  view.setUint32(0, 1, true);
  view.setUint32(4, new DataView(single.buffer, single.byteOffset).getUint32(4, true), true);
  view.setUint32(8, 0, true);
  twoSegments.set(single.subarray(8), 16);
  deepStrictEqual(normalise(decodeFrame(twoSegments)), normalise(frame));
});

Deno.test("codec: a frame that names no message is a protocol violation", () => {
  const unspecified = encodeWithCapnpEs({ type: "ping", id: 5 });
  new DataView(unspecified.buffer, unspecified.byteOffset).setUint16(8 + 8 + 4, 0, true);
  throws(() => decodeFrame(unspecified), isViolation(/names no message/));
  new DataView(unspecified.buffer, unspecified.byteOffset).setUint16(8 + 8 + 4, 99, true);
  throws(() => decodeFrame(unspecified), isViolation(/union member 99/));
});

Deno.test("codec: streamed bodies and body chunks, unused in protocol 1.0, are protocol violations", () => {
  const request = encodeWithCapnpEs(everyFrame[3]);
  // HttpRequest's data word follows Frame (2 words) and its own pointer: byte 8 + 3 * 8; bit 0 is bodyStreamed.
  request[8 + 3 * 8] |= 1;
  throws(() => decodeFrame(request), isViolation(/request 2 has a streamed body/));
  const chunk = encodeWithCapnpEs({ type: "ping", id: 5 });
  new DataView(chunk.buffer, chunk.byteOffset).setUint16(8 + 8 + 4, 6, true);
  throws(() => decodeFrame(chunk), isViolation(/bodyChunk/));
});

Deno.test("codec: garbage and truncated frames throw a protocol violation, nothing else", () => {
  throws(() => decodeFrame(new Uint8Array(0)), isViolation());
  throws(
    () => decodeFrame(new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255])),
    isViolation(),
  );
  const good = encodeFrame(everyFrame[3]);
  for (let length = 0; length < good.byteLength; length++) {
    try {
      decodeFrame(good.slice(0, length));
    } catch (error) {
      ok(error instanceof CorralError && error.code === ErrorCode.PROTOCOL_VIOLATION, String(error));
    }
  }
});

Deno.test("codec: mutated request frames decode the same through both paths, or throw a violation", () => {
  const good = encodeWithCapnpEs(everyFrame[3]);
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 3000; round++) {
    const mutated = good.slice();
    for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
      mutated[Math.floor(random() * mutated.byteLength)] = Math.floor(random() * 256);
    }
    let fast: Frame | CorralError;
    try {
      fast = decodeFrame(mutated);
    } catch (error) {
      ok(error instanceof CorralError && error.code === ErrorCode.PROTOCOL_VIOLATION, String(error));
      continue;
    }
    // Whatever the fast path accepts, capnp-es must read the same way.
    deepStrictEqual(normalise(fast), normalise(decodeWithCapnpEs(mutated)), `round ${round}`);
  }
});

/** Byte fields as plain arrays, so views and copies compare equal. */
function normalise(frame: Frame): unknown {
  const copy: Record<string, unknown> = { ...frame };
  if (copy.body instanceof Uint8Array) copy.body = Array.from(copy.body);
  return copy;
}

function isViolation(message?: RegExp) {
  return (error: unknown) =>
    error instanceof CorralError && error.code === ErrorCode.PROTOCOL_VIOLATION &&
    (message === undefined || message.test(error.message));
}
