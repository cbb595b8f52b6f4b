/**
 * Codec cost per message for `npm run bench`: one request frame encoded and its response frame
 * decoded on the host (Node: the hand-written fast path, schemas/fast-path.ts, against capnp-ts),
 * and the mirror image in the runner (Deno: the fast path against capnp-es, from
 * sandbox/protocol/codec_bench.ts through `deno bench --json`). The message is a typical browser
 * POST: 10 headers and a 1 KB JSON body.
 */
import { spawnSync } from "node:child_process";
import { decodeWithCapnpTs, encodeWithCapnpTs } from "../../host/protocol/codec.ts";
import { PROJECT_ROOT, resolveDenoBinary } from "../../host/runtime-paths.ts";
import { decodeResponseFast, encodeRequestFast, encodeResponseFast } from "../../schemas/fast-path.ts";

export interface CodecRow { readonly side: string; readonly codec: string; readonly usPerMessage: number }

const headers = [
  "host", "example.com", "user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
  "accept", "application/json", "accept-language", "en-GB,en;q=0.9", "accept-encoding", "gzip, deflate, br",
  "content-type", "application/json", "content-length", "1024", "cookie", "session=0123456789abcdef0123456789abcdef",
  "x-request-id", "6f1c0d1e-5a8b-4c1d-9e2f-3a4b5c6d7e8f", "x-forwarded-for", "203.0.113.7",
].join("\n") + "\n";
const body = new TextEncoder().encode(JSON.stringify({ text: "x".repeat(1000) }));
const responseHeaders = "content-type\napplication/json; charset=UTF-8\nx-request-id\n6f1c0d1e\n";

/** µs per call of `fn`: the best of 5 rounds of `iterations` calls (after a warm-up round). */
function time(iterations: number, fn: () => void): number {
  let best = Infinity;
  for (let round = 0; round < 6; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    const us = Number(process.hrtime.bigint() - started) / 1000 / iterations;
    if (round > 0) best = Math.min(best, us);
  }
  return best;
}

export function measureCodec(quick: boolean): CodecRow[] {
  const n = quick ? 5_000 : 50_000;
  const responseBytes = encodeResponseFast(7, 200, responseHeaders, body);
  const request = { type: "request" as const, id: 7, method: "POST", url: "/notes?limit=5", headers, body, remoteAddress: "203.0.113.7" };
  const rows: CodecRow[] = [
    {
      side: "host (Node): encode request + decode response", codec: "fast path (schemas/fast-path.ts)",
      usPerMessage: time(n, () => {
        encodeRequestFast(7, "POST", "/notes?limit=5", headers, body, "203.0.113.7");
        if (decodeResponseFast(responseBytes) === undefined) throw new Error("fast path declined");
      }),
    },
    {
      side: "host (Node): encode request + decode response", codec: "capnp-ts",
      usPerMessage: time(Math.ceil(n / 10), () => {
        encodeWithCapnpTs(request);
        decodeWithCapnpTs(responseBytes.slice().buffer);
      }),
    },
  ];
  const deno = spawnSync(resolveDenoBinary(), ["bench", "--json", "--config", "deno.json", "--no-prompt", "--no-remote", "--quiet", "sandbox/protocol/codec_bench.ts"],
    { cwd: PROJECT_ROOT, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  try {
    const report = JSON.parse(deno.stdout) as { benches: Array<{ name: string; results: Array<{ ok?: { avg: number } }> }> };
    const avgNs = (prefix: string) => report.benches.find((b) => b.name.startsWith(prefix))?.results[0]?.ok?.avg;
    for (const [codec, prefix] of [["fast path (sandbox/protocol/codec.ts)", "runner side through the fast path"], ["capnp-es", "runner side through capnp-es"]] as const) {
      const ns = avgNs(prefix);
      if (ns !== undefined) rows.push({ side: "runner (Deno): decode request + encode response", codec, usPerMessage: ns / 1000 });
    }
  } catch {
    process.stderr.write(`bench: deno bench gave no JSON report; runner rows left out\n${deno.stderr.slice(-2000)}\n`);
  }
  return rows;
}
