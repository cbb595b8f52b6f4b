/**
 * Frame fuzzing for the host's protocol reader: valid plugin frames of every kind (the seeds),
 * mutations of them (bit flips, truncations, length fields set huge/zero/negative, pointers out of
 * bounds, repeated segments), and `readLikeTheHost`, which runs bytes through the same two steps as
 * `PluginProcess#onData` (FrameReader, then decodePluginMessage) and reports what came out.
 *
 * Shared by the seeded test in `npm test` (test/host/protocol/fuzz.test.ts) and the long run
 * (`npm run fuzz -- --seconds 300`, scripts/fuzz/run.ts), so both check the same properties.
 */
import * as capnp from "capnp-ts";
import fc from "fast-check";
import { decodePluginMessage, decodeWithCapnpTs, ProtocolViolation } from "../../host/protocol/codec.ts";
import { decodeResponseFast, encodeResponseFast } from "../../schemas/fast-path.ts";
import { FrameReader, FramingError } from "../../schemas/framing.ts";
import type { FrameLimits } from "../../schemas/framing.ts";
import type { PluginToHost } from "../../schemas/messages.ts";
import { Frame, LogRecord_Level, TransactionControl_Action } from "../../schemas/generated/capnp-ts/protocol.capnp.js";
import { concatBytes } from "../../schemas/concat-bytes.ts";

/** The caps the fuzz reads with: small enough that mutated length fields cross them often. */
export const FUZZ_LIMITS: FrameLimits = { maxFrameBytes: 64 * 1024, maxSegments: 64 };

function capnpFrame(id: number, fill: (frame: Frame) => void): Uint8Array {
  const message = new capnp.Message();
  const frame = message.initRoot(Frame);
  frame.setId(id);
  fill(frame);
  return new Uint8Array(message.toArrayBuffer());
}

/** One valid frame of every kind a plugin may send, as real writers lay them out. */
export function seedFrames(): Uint8Array[] {
  const body = new TextEncoder().encode('{"ok":true,"text":"héllo"}');
  return [
    encodeResponseFast(7, 200, "content-type\napplication/json\nx-a\nb\n", body),
    encodeResponseFast(8, 204, "", new Uint8Array(0)),
    capnpFrame(9, (f) => {
      const r = f.initResponse();
      r.setStatus(404);
      r.setHeaders("content-type\ntext/plain\n");
      r.initBody(3).copyBuffer(new Uint8Array([1, 2, 3]));
    }),
    capnpFrame(0, (f) => {
      const h = f.initHello();
      h.setProtocolMajor(1);
      h.setProtocolMinor(1);
      h.setSdkVersion("0.1.0");
      h.setRuntimeVersion("deno 2.9.6");
      const features = h.initFeatures(2);
      features.set(0, "database");
      features.set(1, "calls");
    }),
    capnpFrame(1, (f) => f.initReady().setRouteCount(3)),
    capnpFrame(0, (f) => {
      const log = f.initLog();
      log.setLevel(LogRecord_Level.WARN);
      log.setMessage("something happened");
      log.setFieldsJson('{"a":1}');
      log.setTimeMs(Date.UTC(2026, 0, 1));
    }),
    capnpFrame(5, (f) => f.setPong()),
    capnpFrame(6, (f) => f.setShutdownComplete()),
    capnpFrame(4, (f) => {
      const e = f.initError();
      e.setCode("CORRAL_E_HANDLER_FAILED");
      e.setMessage("boom");
      e.setSqlState("");
    }),
    capnpFrame(3, (f) => {
      const q = f.initQuery();
      q.setSql("select $1::text as t");
      q.setParamsJson('[{"t":"text","v":"x"}]');
      q.setTransactionId(0);
    }),
    capnpFrame(2, (f) => {
      const t = f.initTransaction();
      t.setAction(TransactionControl_Action.COMMIT);
      t.setTransactionId(12);
    }),
    capnpFrame(10, (f) => f.initMigrateResult().setResultJson('{"applied":[],"pending":[],"executed":[]}')),
    capnpFrame(11, (f) => {
      const c = f.initCall();
      c.setMethod("cache.get");
      c.setPayloadJson('{"key":"k"}');
    }),
    capnpFrame(12, (f) => f.initCallResult().setPayloadJson("null")),
  ];
}

/** One change to a frame's bytes. Positions are fractions of the length, so any frame fits any mutation. */
export type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly bit: number }
  | { readonly kind: "byte"; readonly at: number; readonly value: number }
  | { readonly kind: "truncate"; readonly keep: number }
  | { readonly kind: "append"; readonly bytes: Uint8Array }
  | { readonly kind: "segmentCount"; readonly value: number }
  | { readonly kind: "segmentSize"; readonly value: number }
  | { readonly kind: "pointer"; readonly at: number; readonly low: number; readonly high: number }
  | { readonly kind: "repeatSegment"; readonly times: number };

/** Length values that break naive readers: zero, one, sign bit, all ones, just over a cap. */
const hostileU32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 8193, 1 << 29),
  fc.nat({ max: 0xffffffff }),
);
const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("byte" as const), at: fraction, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), keep: fraction }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant("segmentCount" as const), value: hostileU32 }),
  fc.record({ kind: fc.constant("segmentSize" as const), value: hostileU32 }),
  fc.record({ kind: fc.constant("pointer" as const), at: fraction, low: hostileU32, high: hostileU32 }),
  fc.record({ kind: fc.constant("repeatSegment" as const), times: fc.integer({ min: 1, max: 4 }) }),
);

/** Applies `mutation` to a copy of `frame`. */
export function mutate(frame: Uint8Array, mutation: Mutation): Uint8Array {
  const bytes = frame.slice();
  const view = new DataView(bytes.buffer);
  const index = (at: number) => Math.floor(at * bytes.byteLength);
  switch (mutation.kind) {
    case "flip":
      if (bytes.byteLength > 0) bytes[index(mutation.at)]! ^= 1 << mutation.bit;
      return bytes;
    case "byte":
      if (bytes.byteLength > 0) bytes[index(mutation.at)] = mutation.value;
      return bytes;
    case "truncate":
      return bytes.subarray(0, index(mutation.keep));
    case "append": {
      const out = new Uint8Array(bytes.byteLength + mutation.bytes.byteLength);
      out.set(bytes);
      out.set(mutation.bytes, bytes.byteLength);
      return out;
    }
    case "segmentCount":
      if (bytes.byteLength >= 4) view.setUint32(0, mutation.value, true);
      return bytes;
    case "segmentSize":
      if (bytes.byteLength >= 8) view.setUint32(4, mutation.value, true);
      return bytes;
    case "pointer": {
      // A word of the first segment (after the 8-byte table of a one-segment frame) made a pointer.
      const words = Math.floor((bytes.byteLength - 8) / 8);
      if (words < 1) return bytes;
      const at = 8 + Math.floor(mutation.at * words) * 8;
      view.setUint32(at, mutation.low, true);
      view.setUint32(at + 4, mutation.high, true);
      return bytes;
    }
    case "repeatSegment":
      return repeatSegment(bytes, mutation.times);
  }
}

/** A one-segment frame with its segment repeated `times` more times (table and body). */
function repeatSegment(frame: Uint8Array, times: number): Uint8Array {
  if (frame.byteLength < 16) return frame;
  const segment = frame.subarray(8);
  const count = times + 1;
  const table = (4 + 4 * count + 7) & ~7;
  const out = new Uint8Array(table + segment.byteLength * count);
  const view = new DataView(out.buffer);
  view.setUint32(0, count - 1, true);
  for (let i = 0; i < count; i++) {
    view.setUint32(4 + 4 * i, Math.floor(segment.byteLength / 8), true);
    out.set(segment, table + i * segment.byteLength);
  }
  return out;
}

/** One fuzz case: a stream of frames (each a mutated seed, or random bytes) cut into chunks. */
export interface FuzzCase {
  readonly parts: ReadonlyArray<{ readonly seed: number; readonly mutations: readonly Mutation[] } | Uint8Array>;
  /** Chunk sizes the stream arrives in; the rest comes as one chunk. */
  readonly chunks: readonly number[];
}

export function fuzzCaseArbitrary(seedCount: number): fc.Arbitrary<FuzzCase> {
  const mutated = fc.record({
    seed: fc.nat({ max: seedCount - 1 }),
    mutations: fc.array(mutationArbitrary, { minLength: 0, maxLength: 4 }),
  });
  return fc.record({
    parts: fc.array(fc.oneof({ weight: 9, arbitrary: mutated }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
    chunks: fc.array(fc.integer({ min: 1, max: 96 }), { maxLength: 6 }),
  });
}

/** The byte stream a case describes. */
export function streamOf(fuzzCase: FuzzCase, seeds: readonly Uint8Array[]): Uint8Array {
  const frames = fuzzCase.parts.map((part) =>
    part instanceof Uint8Array ? part : part.mutations.reduce(mutate, seeds[part.seed]!)
  );
  return concatBytes(frames);
}

/** What the host's reading steps made of a byte stream. */
export interface ReadOutcome {
  readonly messages: PluginToHost[];
  /** The refusal that would end the plugin: from the framing (caps) or the decoder. */
  readonly refusal: FramingError | ProtocolViolation | undefined;
  /** Anything else thrown: a bug (the host would still end the plugin, with a vaguer reason). */
  readonly unexpected: unknown;
  /** Largest single frame the reader handed to the decoder. */
  readonly largestFrame: number;
  /** Most bytes the reader held between pushes. */
  readonly mostBuffered: number;
}

/**
 * Feeds `stream` in `chunks` to a FrameReader and each frame to decodePluginMessage, exactly as
 * PluginProcess#onData does, and stops at the first error as the host does.
 */
export function readLikeTheHost(stream: Uint8Array, chunks: readonly number[], limits: FrameLimits = FUZZ_LIMITS): ReadOutcome {
  const reader = new FrameReader(limits);
  const messages: PluginToHost[] = [];
  let largestFrame = 0;
  let mostBuffered = 0;
  try {
    let at = 0;
    const sizes = [...chunks, Number.POSITIVE_INFINITY];
    for (const size of sizes) {
      if (at >= stream.byteLength) break;
      // A fresh copy per chunk, as a socket hands them: the reader may keep chunks.
      const chunk = stream.slice(at, Math.min(stream.byteLength, at + size));
      at += chunk.byteLength;
      for (const frame of reader.push(chunk)) {
        largestFrame = Math.max(largestFrame, frame.byteLength);
        messages.push(decodePluginMessage(frame));
      }
      mostBuffered = Math.max(mostBuffered, reader.bufferedBytes);
    }
    return { messages, refusal: undefined, unexpected: undefined, largestFrame, mostBuffered };
  } catch (error) {
    const refusal = error instanceof FramingError || error instanceof ProtocolViolation ? error : undefined;
    return { messages, refusal, unexpected: refusal === undefined ? error : undefined, largestFrame, mostBuffered };
  }
}

/**
 * Why `message` is not a well-typed PluginToHost, or undefined when it is. The decoder's output
 * goes straight into the host's dispatch, which trusts these types.
 */
export function shapeProblem(message: PluginToHost): string | undefined {
  const u32 = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
  if (!u32(message.id)) return `id ${String(message.id)} is not a uint32`;
  const strings = (...values: unknown[]) => values.every((v) => typeof v === "string");
  switch (message.type) {
    case "response":
      return Number.isInteger(message.status) && message.status >= 0 && message.status <= 0xffff &&
          strings(message.headers) && message.body instanceof Uint8Array
        ? undefined
        : "response fields";
    case "log":
      return strings(message.level, message.message, message.fieldsJson) && typeof message.timeMs === "number" ? undefined : "log fields";
    case "hello":
      return u32(message.protocolMajor) && strings(message.sdkVersion, message.runtimeVersion) &&
          Array.isArray(message.features) && message.features.every((f) => typeof f === "string")
        ? undefined
        : "hello fields";
    case "ready":
      return u32(message.routeCount) ? undefined : "ready fields";
    case "error":
      return strings(message.code, message.message) ? undefined : "error fields";
    case "query":
      return strings(message.sql, message.paramsJson) && u32(message.transactionId) ? undefined : "query fields";
    case "transaction":
      return ["begin", "commit", "rollback"].includes(message.action) && u32(message.transactionId) ? undefined : "transaction fields";
    case "migrateResult":
      return strings(message.resultJson) ? undefined : "migrateResult fields";
    case "call":
      return strings(message.method, message.payloadJson) ? undefined : "call fields";
    case "callResult":
      return strings(message.payloadJson) ? undefined : "callResult fields";
    case "pong":
    case "shutdownComplete":
      return undefined;
  }
}

/**
 * The hand-written response decoder must agree with capnp-ts on every frame it accepts: it reads
 * untrusted bytes without a library's checks (differential fuzzing). Returns the disagreement, or
 * undefined.
 */
export function fastPathDisagreement(frame: Uint8Array): string | undefined {
  const fast = decodeResponseFast(frame);
  // Invalid UTF-8 is where the two may differ, safely: the fast path reads it as TextDecoder does
  // (U+FFFD), capnp-ts refuses some of it and misreads other (it does not check continuation
  // bytes). The host treats the headers as untrusted text either way.
  if (fast === undefined || fast.headers.includes("\uFFFD")) return undefined;
  let reference: PluginToHost;
  try {
    reference = decodeWithCapnpTs(frame.slice().buffer);
  } catch (error) {
    if (/Invalid UTF-8/.test((error as Error).message)) return undefined;
    return `fast path accepted a frame capnp-ts refuses (${(error as Error).message})`;
  }
  if (reference.type !== "response") return `fast path read a response, capnp-ts a ${reference.type}`;
  const same = reference.id === fast.id && reference.status === fast.status && reference.headers === fast.headers &&
    Buffer.from(reference.body).equals(Buffer.from(fast.body));
  return same ? undefined : `fast path and capnp-ts read different responses: ${JSON.stringify({ fast: { ...fast, body: fast.body.length }, reference: { ...reference, body: reference.body.length } })}`;
}
