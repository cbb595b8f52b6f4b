// Fuzzing the host's protocol reader (FrameReader + decodePluginMessage, as PluginProcess#onData
// runs them) with random and mutated plugin frames. A bounded, seeded run: the seed is printed and
// CORRAL_FUZZ_SEED=<seed> replays it; `npm run fuzz -- --seconds 300` runs the same properties longer.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { decodePluginMessage } from "../../../host/protocol/codec.ts";
import { FrameReader, FramingError } from "../../../schemas/framing.ts";
import {
  FUZZ_LIMITS,
  fastPathDisagreement,
  fuzzCaseArbitrary,
  mutate,
  readLikeTheHost,
  seedFrames,
  shapeProblem,
  streamOf,
} from "../../../scripts/fuzz/frames.ts";

const SEED = Number(process.env.CORRAL_FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.CORRAL_FUZZ_RUNS ?? 3000);
console.log(`protocol fuzz: seed ${SEED}, ${RUNS} cases (replay with CORRAL_FUZZ_SEED=${SEED})`);

const seeds = seedFrames();

test("every seed frame is valid: the mutations start from what real plugins send", () => {
  for (const [i, seed] of seeds.entries()) {
    const outcome = readLikeTheHost(seed, []);
    assert.is(outcome.refusal, undefined, `seed ${i}: ${outcome.refusal?.message}`);
    assert.is(outcome.messages.length, 1, `seed ${i}`);
    assert.is(shapeProblem(outcome.messages[0]!), undefined, `seed ${i}`);
  }
  assert.equal(new Set(seeds.map((s) => readLikeTheHost(s, []).messages[0]!.type)).size, 12, "every kind a plugin may send");
});

test("mutated and random streams: only refusals come out, never another error; frames and buffers stay under the cap; what decodes is well typed", () => {
  let refused = 0;
  let accepted = 0;
  fc.assert(
    fc.property(fuzzCaseArbitrary(seeds.length), (fuzzCase) => {
      const stream = streamOf(fuzzCase, seeds);
      const outcome = readLikeTheHost(stream, fuzzCase.chunks);
      if (outcome.unexpected !== undefined) {
        throw new Error(`the reader threw something other than a refusal: ${(outcome.unexpected as Error).stack}`);
      }
      if (outcome.refusal !== undefined) refused++;
      else accepted++;
      if (outcome.largestFrame > FUZZ_LIMITS.maxFrameBytes) throw new Error(`a ${outcome.largestFrame}-byte frame passed the cap`);
      if (outcome.mostBuffered >= FUZZ_LIMITS.maxFrameBytes) throw new Error(`the reader held ${outcome.mostBuffered} bytes`);
      for (const message of outcome.messages) {
        const problem = shapeProblem(message);
        if (problem !== undefined) throw new Error(`decoded a badly typed ${message.type}: ${problem}`);
      }
      for (const part of fuzzCase.parts) {
        if (part instanceof Uint8Array) continue;
        const disagreement = fastPathDisagreement(part.mutations.reduce(mutate, seeds[part.seed]!));
        if (disagreement !== undefined) throw new Error(disagreement);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
  // A fuzzer that only ever produced garbage, or only valid frames, would prove little.
  assert.ok(refused > RUNS / 10 && accepted > RUNS / 20, `refused ${refused}, accepted ${accepted}`);
});

test("a frame declaring more than the cap is refused from its 8-byte header, before its body is allocated", () => {
  const sizes: number[] = [];
  // Count what the reader allocates: a declared size must never become an allocation.
  const Original = globalThis.Uint8Array;
  globalThis.Uint8Array = class extends Original {
    constructor(...args: unknown[]) {
      if (typeof args[0] === "number") sizes.push(args[0]);
      super(...(args as [number]));
    }
  } as Uint8ArrayConstructor;
  try {
    for (const words of [0x7fffffff, 0xffffffff, FUZZ_LIMITS.maxFrameBytes / 8]) {
      const reader = new FrameReader(FUZZ_LIMITS);
      const header = new Original(8);
      new DataView(header.buffer).setUint32(4, words, true);
      assert.throws(() => reader.push(header), (e: unknown) => e instanceof FramingError && /over the cap/.test(e.message));
      assert.is(reader.bufferedBytes, 0, "the refused bytes are dropped");
      // Failed for good: later bytes are refused too, not buffered.
      assert.throws(() => reader.push(new Original(1024)), (e: unknown) => e instanceof FramingError);
    }
    // A segment table with many segments each under the cap but together over it.
    const reader = new FrameReader(FUZZ_LIMITS);
    const table = new Original(8 + 4 * 8);
    const view = new DataView(table.buffer);
    view.setUint32(0, 8, true);
    for (let i = 0; i < 9; i++) view.setUint32(4 + 4 * i, FUZZ_LIMITS.maxFrameBytes / 8 / 8, true);
    assert.throws(() => reader.push(table), /over the cap/);
    // Too many segments is refused from the first four bytes.
    const many = new Original(4);
    new DataView(many.buffer).setUint32(0, 0xffffffff, true);
    assert.throws(() => new FrameReader(FUZZ_LIMITS).push(many), /segments, over the cap/);
  } finally {
    globalThis.Uint8Array = Original;
  }
  assert.ok(sizes.every((n) => n <= 64), `allocations: ${sizes.join(", ")}`);
});

test("a frame of exactly the cap is read; one word more is refused", () => {
  const words = FUZZ_LIMITS.maxFrameBytes / 8 - 1;
  const frame = new Uint8Array(8 + words * 8);
  new DataView(frame.buffer).setUint32(4, words, true);
  const reader = new FrameReader(FUZZ_LIMITS);
  assert.is(reader.push(frame).length, 1);
  // All zeros decodes as a null root: a violation from the decoder, not a crash.
  assert.throws(() => decodePluginMessage(frame), (e: unknown) => (e as Error).name === "ProtocolViolation");
  new DataView(frame.buffer).setUint32(4, words + 1, true);
  assert.throws(() => new FrameReader(FUZZ_LIMITS).push(frame.subarray(0, 8)), /over the cap/);
});

test.run();
