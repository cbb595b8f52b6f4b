// The hand-written request/response codec against capnp-ts: same fields both ways, and on
// mutated frames the fast decoder either agrees with capnp-ts or declines (never throws, never lies).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as capnp from "capnp-ts";
import { Frame } from "../../schemas/generated/capnp-ts/protocol.capnp.js";
import { decodeResponseFast, encodeRequestFast } from "../../schemas/fast-path.ts";
import { decodeWithCapnpTs, encodeWithCapnpTs } from "../../host/protocol/codec.ts";

function responseFrame(id: number, status: number, headers: string, body: Uint8Array): Uint8Array {
  const message = new capnp.Message();
  const frame = message.initRoot(Frame);
  frame.setId(id);
  const response = frame.initResponse();
  response.setStatus(status);
  response.setHeaders(headers);
  if (body.byteLength > 0) response.initBody(body.byteLength).copyBuffer(body);
  return new Uint8Array(message.toArrayBuffer());
}

const CASES = [
  { id: 1, method: "GET", url: "/", headers: "", body: new Uint8Array(0), remoteAddress: "" },
  { id: 7, method: "POST", url: "/notes?x=1&y=ü", headers: "host\nlocalhost\ncontent-type\napplication/json\n", body: new TextEncoder().encode('{"a":"é"}'), remoteAddress: "127.0.0.1" },
  { id: 0xffffffff, method: "PUT", url: "/" + "x".repeat(5000), headers: "a\n" + "b".repeat(10_000) + "\n", body: new Uint8Array(70_001).fill(3), remoteAddress: "::1" },
];

test("a fast-encoded request decodes to the same fields with capnp-ts", () => {
  for (const c of CASES) {
    const frame = new capnp.Message(encodeRequestFast(c.id, c.method, c.url, c.headers, c.body, c.remoteAddress), false).getRoot(Frame);
    const request = frame.getRequest();
    assert.is(frame.getId(), c.id);
    assert.is(request.getMethod(), c.method);
    assert.is(request.getUrl(), c.url);
    assert.is(request.getHeaders(), c.headers);
    assert.equal([...(request.hasBody() ? request.getBody().toUint8Array() : new Uint8Array(0))], [...c.body]);
    assert.is(request.getRemoteAddress(), c.remoteAddress);
    assert.is(request.getBodyStreamed(), false);
  }
});

test("the fast encoder's frames are no larger than capnp-ts's", () => {
  for (const c of CASES) {
    const fast = encodeRequestFast(c.id, c.method, c.url, c.headers, c.body, c.remoteAddress);
    const reference = encodeWithCapnpTs({ type: "request", ...c });
    assert.ok(fast.byteLength <= reference.byteLength, `${fast.byteLength} <= ${reference.byteLength}`);
  }
});

test("a capnp-ts response decodes to the same fields with the fast decoder", () => {
  for (const [status, headers, body] of [[200, "", new Uint8Array(0)], [404, "x\ny\nset-cookie\na=1\nset-cookie\nb=2\n", new Uint8Array([0, 255, 10])], [599, "k\nv\n", new Uint8Array(1 << 20).fill(1)]] as const) {
    const bytes = responseFrame(42, status, headers, body);
    assert.equal(decodeResponseFast(bytes), decodeWithCapnpTs(bytes));
  }
});

test("on mutated frames the fast decoder agrees with capnp-ts or declines", () => {
  const base = responseFrame(9, 201, "content-type\ntext/plain\n", new TextEncoder().encode("hello world, this is a body"));
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  let agreed = 0;
  for (let round = 0; round < 20_000; round++) {
    const bytes = base.slice();
    for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
      bytes[8 + Math.floor(random() * (bytes.byteLength - 8))] = Math.floor(random() * 256);
    }
    const fast = decodeResponseFast(bytes);
    if (fast === undefined) continue;
    let reference: unknown;
    try {
      reference = decodeWithCapnpTs(bytes);
    } catch {
      reference = "capnp-ts refused";
    }
    // capnp-ts reads pointers the fast path also accepts; where it refuses, the fast path must
    // still have stayed inside the frame (it did: it returned views of `bytes`).
    if (typeof reference !== "string") {
      const { headers, ...rest } = reference as typeof fast;
      const { headers: fastHeaders, ...fastRest } = fast;
      assert.equal(fastRest, rest, `round ${round}`);
      // Invalid UTF-8 is replaced differently (TextDecoder's U+FFFD vs capnp-ts's own decoder).
      if (!fastHeaders.includes("\uFFFD")) assert.is(fastHeaders, headers, `round ${round}`);
      agreed++;
    }
    assert.ok(fast.body.buffer === bytes.buffer, "the body is a view of the frame");
  }
  assert.ok(agreed > 1000, `enough mutated frames were decoded by both (${agreed})`);
});

test.run();
