/**
 * `npm run fuzz -- --seconds 300 [--seed N]`: the protocol fuzz of test/host/protocol/fuzz.test.ts,
 * for as long as asked, in batches of fresh seeds. Prints what the reader made of the cases
 * (refused by the framing caps, refused by the decoder, decoded), the slowest case, and on a
 * failure the seed and counterexample to replay (CORRAL_FUZZ_SEED=<seed> in the test, or --seed).
 */
import fc from "fast-check";
import { performance } from "node:perf_hooks";
import { FramingError } from "../../schemas/framing.ts";
import {
  FUZZ_LIMITS,
  fastPathDisagreement,
  fuzzCaseArbitrary,
  mutate,
  readLikeTheHost,
  seedFrames,
  shapeProblem,
  streamOf,
} from "./frames.ts";
import { numberOption, scriptArgs } from "../script-args.ts";

const HELP = `Usage: npm run fuzz -- [--seconds N] [--seed N] [--batch N]

Feeds random and mutated plugin frames to the host's protocol reader (FrameReader +
decodePluginMessage) for N seconds (default 60), in batches of --batch cases (default 20000) with
seeds --seed, --seed+1, ... (default: from the clock). Fails with the seed and the counterexample
when the reader throws anything but a refusal, passes a frame over the cap, holds more than the
cap, decodes a badly typed message, or the fast response decoder disagrees with capnp-ts.`;

const args = scriptArgs(HELP);
const seconds = numberOption(args, HELP, "seconds", 60, "positive");
const batch = numberOption(args, HELP, "batch", 20_000, "positive");
let seed = numberOption(args, HELP, "seed", Date.now() % 2 ** 31, "positive");

const seeds = seedFrames();
const counts = { framing: 0, decoder: 0, decoded: 0, messages: 0 };
let slowest = { ms: 0, case: "" };
const deadline = Date.now() + seconds * 1000;
let cases = 0;
console.log(`fuzzing the protocol reader for ${seconds} s, caps ${JSON.stringify(FUZZ_LIMITS)}, first seed ${seed}`);

while (Date.now() < deadline) {
  const result = fc.check(
    fc.property(fuzzCaseArbitrary(seeds.length), (fuzzCase) => {
      const stream = streamOf(fuzzCase, seeds);
      const started = performance.now();
      const outcome = readLikeTheHost(stream, fuzzCase.chunks);
      const ms = performance.now() - started;
      if (ms > slowest.ms) slowest = { ms, case: JSON.stringify(fuzzCase).slice(0, 300) };
      if (outcome.unexpected !== undefined) throw new Error(`not a refusal: ${(outcome.unexpected as Error).stack}`);
      if (outcome.refusal instanceof FramingError) counts.framing++;
      else if (outcome.refusal !== undefined) counts.decoder++;
      else counts.decoded++;
      counts.messages += outcome.messages.length;
      if (outcome.largestFrame > FUZZ_LIMITS.maxFrameBytes) throw new Error(`a ${outcome.largestFrame}-byte frame passed the cap`);
      if (outcome.mostBuffered >= FUZZ_LIMITS.maxFrameBytes) throw new Error(`the reader held ${outcome.mostBuffered} bytes`);
      for (const message of outcome.messages) {
        const problem = shapeProblem(message);
        if (problem !== undefined) throw new Error(`badly typed ${message.type}: ${problem}`);
      }
      for (const part of fuzzCase.parts) {
        if (part instanceof Uint8Array) continue;
        const disagreement = fastPathDisagreement(part.mutations.reduce(mutate, seeds[part.seed]!));
        if (disagreement !== undefined) throw new Error(disagreement);
      }
    }),
    { seed, numRuns: batch },
  );
  cases += result.numRuns;
  if (result.failed) {
    console.error(fc.defaultReportMessage(result));
    console.error(`\nFAILED with seed ${seed} after ${cases} cases in all. Replay: npm run fuzz -- --seed ${seed} --seconds 1`);
    process.exit(1);
  }
  seed = (seed + 1) % 2 ** 31;
}

console.log(JSON.stringify({
  seconds,
  cases,
  casesPerSecond: Math.round(cases / seconds),
  refusedByFramingCaps: counts.framing,
  refusedByDecoder: counts.decoder,
  notRefused: counts.decoded,
  messagesDecoded: counts.messages,
  slowestCaseMs: Number(slowest.ms.toFixed(3)),
  slowestCase: slowest.case,
}, null, 2));
console.log("ok: no case threw anything but a refusal, passed the cap, or decoded badly");
