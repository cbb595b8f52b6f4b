// The stream framing reader: whole frames out of arbitrary chunks, and hard caps on hostile input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FrameReader, FramingError } from "../../schemas/framing.ts";
import { encodeHostMessage } from "../../host/protocol/codec.ts";
import { concatBytes } from "../../schemas/concat-bytes.ts";

const limits = { maxFrameBytes: 1 << 20, maxSegments: 64 };

function sampleFrames(): Uint8Array[] {
  return [
    encodeHostMessage({ type: "ping", id: 1 }),
    encodeHostMessage({ type: "request", id: 2, method: "POST", url: "/x", headers: "a\n1\n", body: new Uint8Array(3000).fill(9), remoteAddress: "127.0.0.1" }),
    encodeHostMessage({ type: "shutdown", id: 3, reason: "bye", deadlineMs: 100 }),
  ];
}

test("frames split at every byte boundary come out whole and in order", () => {
  const frames = sampleFrames();
  const stream = concatBytes(frames);
  for (let cut = 1; cut < stream.byteLength; cut += 7) {
    const reader = new FrameReader(limits);
    const out = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
    assert.is(out.length, 3, `cut at ${cut}`);
    out.forEach((frame, i) => assert.equal([...new Uint8Array(frame)], [...frames[i]!]));
    assert.is(reader.bufferedBytes, 0);
  }
});

test("every frame comes out in an ArrayBuffer of its own, so decoders may keep views of it", () => {
  const frames = sampleFrames();
  const stream = concatBytes(frames);
  const out = new FrameReader(limits).push(stream);
  assert.is(out.length, 3);
  assert.ok(out.every((frame) => frame !== stream.buffer), "not the chunk's buffer");
  assert.is(new Set(out).size, 3);
  stream.fill(0);
  assert.equal([...new Uint8Array(out[1]!)], [...frames[1]!], "later writes to the chunk do not reach the frame");
});

test("byte-by-byte delivery works", () => {
  const frames = sampleFrames();
  const reader = new FrameReader(limits);
  const out: ArrayBuffer[] = [];
  for (const byte of concatBytes(frames)) out.push(...reader.push(new Uint8Array([byte])));
  assert.is(out.length, 3);
});

test("a 16 MiB frame in 64 KiB chunks is cut in linear time", () => {
  const big = encodeHostMessage({ type: "request", id: 1, method: "POST", url: "/", headers: "", body: new Uint8Array(16 << 20), remoteAddress: "" });
  const reader = new FrameReader({ maxFrameBytes: 32 << 20, maxSegments: 4 });
  const started = performance.now();
  let frames = 0;
  for (let offset = 0; offset < big.byteLength; offset += 64 * 1024) frames += reader.push(big.subarray(offset, offset + 64 * 1024)).length;
  assert.is(frames, 1);
  // Quadratic copying took ~1.8 s here; linear takes a few ms. The bound is loose on purpose.
  assert.ok(performance.now() - started < 500, `took ${(performance.now() - started).toFixed(0)} ms`);
});

test("a frame declaring more than the cap is refused from its header alone", () => {
  const reader = new FrameReader({ maxFrameBytes: 4096, maxSegments: 4 });
  const header = new Uint8Array(8);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0, true); // one segment
  view.setUint32(4, 1 << 20, true); // of 1 Mi words = 8 MiB
  assert.throws(() => reader.push(header), (e: unknown) => e instanceof FramingError && /over the cap of 4096 bytes/.test((e as Error).message));
});

test("a frame declaring too many segments is refused", () => {
  const reader = new FrameReader({ maxFrameBytes: 1 << 20, maxSegments: 4 });
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, 0xffffffff, true);
  assert.throws(() => reader.push(header), /segments/);
});

test("a frame with no content is refused", () => {
  const reader = new FrameReader(limits);
  assert.throws(() => reader.push(new Uint8Array(8)), /no content/);
});

test("too-small limits are a RangeError", () => {
  assert.throws(() => new FrameReader({ maxFrameBytes: 4, maxSegments: 1 }), RangeError);
});

test.run();
