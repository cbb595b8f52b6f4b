/** Tests of the quotes plugin with a stubbed upstream: retries, backoff, cache, errors. @module */

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { testPlugin } from "@corral/sdk/testing";
import plugin from "./mod.ts";
import { backoffDelay, fetchQuote } from "./upstream.ts";
import { DEFAULT_CONFIG, readConfig } from "./config.ts";

type Fetch = typeof globalThis.fetch;

/** Runs `body` with `globalThis.fetch` answering from `answers` in turn; resolves with the URLs asked for. */
async function withUpstream(answers: (() => Response | Promise<Response>)[], body: () => Promise<void>): Promise<string[]> {
  const original = globalThis.fetch;
  const urls: string[] = [];
  globalThis.fetch = ((input: string | URL | Request) => {
    urls.push(String(input));
    const next = answers.shift();
    return next === undefined ? Promise.reject(new Error("no more fake answers")) : Promise.resolve(next());
  }) as Fetch;
  try {
    await body();
  } finally {
    globalThis.fetch = original;
  }
  return urls;
}

const quote = { text: "Know thyself.", author: "Delphi" };
const noWait = () => Promise.resolve();
const timeout = () => Promise.reject(new DOMException("Signal timed out.", "TimeoutError"));

Deno.test("quotes: a 503 then a 200 is retried, with the attempts counted", async () => {
  const waits: number[] = [];
  const urls = await withUpstream([() => new Response("busy", { status: 503 }), () => Response.json(quote)], async () => {
    const result = await fetchQuote(DEFAULT_CONFIG, "wisdom", (ms) => (waits.push(ms), Promise.resolve()));
    deepStrictEqual(result, { quote, attempts: 2 });
  });
  deepStrictEqual(urls, ["http://127.0.0.1:47310/random?topic=wisdom", "http://127.0.0.1:47310/random?topic=wisdom"]);
  strictEqual(waits.length, 1);
});

Deno.test("quotes: timeouts are retried up to config.retries, then a 504", async () => {
  const urls = await withUpstream([timeout, timeout, timeout], async () => {
    const result = await fetchQuote(DEFAULT_CONFIG, "wisdom", noWait);
    strictEqual("code" in result && result.code, "UPSTREAM_TIMEOUT");
    strictEqual("status" in result && result.status, 504);
  });
  strictEqual(urls.length, DEFAULT_CONFIG.retries + 1);
});

Deno.test("quotes: a 4xx, a refused connection and invalid JSON are not retried", async () => {
  for (const answer of [
    () => new Response("no", { status: 404 }),
    () => new Response("bad", { status: 400 }),
    () => Promise.reject(new TypeError("Connection refused")),
    () => new Response("{not json", { status: 200 }),
  ]) {
    const urls = await withUpstream([answer, () => Response.json(quote)], async () => {
      const result = await fetchQuote(DEFAULT_CONFIG, "wisdom", noWait);
      strictEqual("code" in result, true);
    });
    strictEqual(urls.length, 1);
  }
});

Deno.test("quotes: the backoff doubles, with at most 25% jitter", () => {
  const config = { ...DEFAULT_CONFIG, backoffMs: 100 };
  deepStrictEqual([1, 2, 3].map((n) => backoffDelay(config, n, () => 0)), [100, 200, 400]);
  deepStrictEqual([1, 2, 3].map((n) => backoffDelay(config, n, () => 0.999)), [125, 250, 500]);
});

Deno.test("quotes: GET /api/:topic answers JSON, the second time from ctx.cache", async () => {
  const urls = await withUpstream([() => Response.json(quote)], async () => {
    await using quotes = await testPlugin(plugin, { cache: true });
    const first = await quotes.fetch("/api/wisdom");
    strictEqual(first.status, 200);
    const body = await first.json();
    deepStrictEqual([body.topic, body.quote, body.source], ["wisdom", quote, "upstream"]);
    const second = await (await quotes.fetch("/api/wisdom")).json();
    deepStrictEqual([second.quote, second.source, second.fetchedAt], [quote, "cache", body.fetchedAt]);
  });
  strictEqual(urls.length, 1, "the upstream was asked once");
});

Deno.test("quotes: a bad topic is a 400 that says what a topic is", async () => {
  await using quotes = await testPlugin(plugin, { cache: true });
  const response = await quotes.fetch("/api/a%20b");
  strictEqual(response.status, 400);
  const { error } = await response.json();
  strictEqual(error.code, "BAD_TOPIC");
});

Deno.test("quotes: bad configuration names the key and the expectation", () => {
  throws(() => readConfig({ retries: 9 }), /config\.retries must be an integer from 0 to 5/);
  throws(() => readConfig({ upstreamUrl: "ftp://x" }), /config\.upstreamUrl must be an http\(s\) URL/);
  deepStrictEqual(readConfig({ upstreamUrl: "http://127.0.0.1:1/" }).upstreamUrl, "http://127.0.0.1:1");
});
