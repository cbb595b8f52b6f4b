/** Tests of the shared frame reader in Deno (test/schemas/framing.test.ts runs it in Node): arbitrary chunking, caps checked before buffering. @module */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { CorralError, ErrorCode } from "./errors.ts";
import { FrameReader } from "./framing.ts";
import { concatBytes } from "./concat-bytes.ts";

/** A frame with `segments` segments of the given word counts, each word filled with its segment's index. */
function rawFrame(...segmentWords: number[]): Uint8Array {
  const tableBytes = (4 + 4 * segmentWords.length + 7) & ~7;
  const frame = new Uint8Array(tableBytes + segmentWords.reduce((sum, w) => sum + w * 8, 0));
  const view = new DataView(frame.buffer);
  view.setUint32(0, segmentWords.length - 1, true);
  let at = tableBytes;
  segmentWords.forEach((words, i) => {
    view.setUint32(4 + 4 * i, words, true);
    frame.fill(i + 1, at, at + words * 8);
    at += words * 8;
  });
  return frame;
}

const frames = [
  rawFrame(1),
  rawFrame(2),
  rawFrame(3, 0, 2), // odd segment count: the table needs no padding
  rawFrame(2, 1), // even count: the table is padded to 8 bytes
  rawFrame(12),
];
const stream = concatBytes(frames);


function readAll(reader: FrameReader, chunks: readonly Uint8Array[]): Uint8Array[] {
  return chunks.flatMap((chunk) => reader.push(chunk).map((frame) => new Uint8Array(frame)));
}

Deno.test("frame reader: a stream cut once at every byte boundary yields the same frames", () => {
  for (let cut = 0; cut <= stream.byteLength; cut++) {
    const reader = new FrameReader();
    deepStrictEqual(readAll(reader, [stream.slice(0, cut), stream.slice(cut)]), frames, `cut at ${cut}`);
    strictEqual(reader.bufferedBytes, 0);
  }
});

Deno.test("frame reader: a stream cut twice at every pair of boundaries yields the same frames", () => {
  const short = concatBytes(frames.slice(0, 4));
  for (let a = 0; a <= short.byteLength; a++) {
    for (let b = a; b <= short.byteLength; b++) {
      const chunks = [short.slice(0, a), short.slice(a, b), short.slice(b)];
      deepStrictEqual(readAll(new FrameReader(), chunks), frames.slice(0, 4), `cuts at ${a}, ${b}`);
    }
  }
});

Deno.test("frame reader: a stream fed one byte at a time yields the same frames", () => {
  const reader = new FrameReader();
  const chunks = Array.from(stream, (byte) => Uint8Array.of(byte));
  deepStrictEqual(readAll(reader, chunks), frames);
});

Deno.test("frame reader: chunks that are views into a larger buffer are read at their offset", () => {
  const padded = new Uint8Array(stream.byteLength + 10);
  padded.set(stream, 5);
  deepStrictEqual(readAll(new FrameReader(), [padded.subarray(5, 5 + stream.byteLength)]), frames);
});

Deno.test("frame reader: a chunk that is exactly one frame is handed over without a copy", () => {
  const frame = rawFrame(2);
  const [out] = new FrameReader().push(frame);
  strictEqual(out, frame.buffer);
});

Deno.test("frame reader: an oversize frame is refused from its segment table alone", () => {
  const reader = new FrameReader({ maxFrameBytes: 1024 });
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(4, 128, true); // 8 + 128 * 8 = 1032 bytes
  throws(() => reader.push(header), violation(/declares 1032 bytes, over the cap of 1024 bytes/));
  strictEqual(reader.bufferedBytes, 0, "nothing kept");
  // Exactly at the cap is fine.
  deepStrictEqual(readAll(new FrameReader({ maxFrameBytes: 1024 }), [rawFrame(127)]).length, 1);
});

Deno.test("frame reader: the default cap is 256 MiB, checked before the body arrives", () => {
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(4, 32 * 1024 * 1024 + 1, true);
  throws(() => new FrameReader().push(header), violation(/over the cap of 268435456 bytes/));
});

Deno.test("frame reader: a segment count over the cap is refused from its first four bytes", () => {
  const reader = new FrameReader({ maxSegments: 4 });
  throws(() => reader.push(Uint8Array.of(4, 0, 0, 0)), violation(/declares 5 segments, over the cap of 4/));
  throws(
    () => new FrameReader().push(Uint8Array.of(255, 255, 255, 255)),
    violation(/declares 4294967296 segments, over the cap of 512/),
  );
  deepStrictEqual(readAll(new FrameReader({ maxSegments: 4 }), [rawFrame(1, 1, 1, 1)]).length, 1);
});

Deno.test("frame reader: after a refusal every push throws again", () => {
  const reader = new FrameReader({ maxSegments: 1 });
  throws(() => reader.push(rawFrame(1, 1)), violation());
  throws(() => reader.push(rawFrame(1)), violation());
});

Deno.test("frame reader: an incomplete frame is held until the rest arrives", () => {
  const reader = new FrameReader();
  const frame = rawFrame(4);
  deepStrictEqual(reader.push(frame.subarray(0, 20)), []);
  strictEqual(reader.bufferedBytes, 20);
  deepStrictEqual(reader.push(new Uint8Array(0)), []);
  deepStrictEqual(readAll(reader, [frame.subarray(20)]), [frame]);
});

function violation(message?: RegExp) {
  return (error: unknown) => {
    ok(error instanceof CorralError, String(error));
    strictEqual(error.code, ErrorCode.PROTOCOL_VIOLATION);
    if (message) ok(message.test(error.message), error.message);
    return true;
  };
}
