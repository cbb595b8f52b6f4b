/** Tests of the weather plugin, with a stubbed upstream (and the real one when net is granted). @module */

import { deepStrictEqual, match, rejects, strictEqual } from "node:assert/strict";
import { testPlugin } from "@corral/sdk/testing";
import plugin from "./mod.ts";

type Fetch = typeof globalThis.fetch;

/** Runs `body` with `globalThis.fetch` replaced, recording the URLs asked for. */
async function withFetch(
  fake: (url: string, init?: RequestInit) => Promise<Response>,
  body: (urls: string[]) => Promise<void>,
) {
  const original = globalThis.fetch;
  const urls: string[] = [];
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    urls.push(String(input));
    return fake(String(input), init);
  }) as Fetch;
  try {
    await body(urls);
  } finally {
    globalThis.fetch = original;
  }
}

const lisbon = { city: "Lisbon", temperatureC: 21.5, conditions: "sunny" };

Deno.test("weather: GET /:city answers the upstream's forecast", async () => {
  await withFetch(() => Promise.resolve(Response.json({ ...lisbon, extra: "ignored" })), async (urls) => {
    await using weather = await testPlugin(plugin);
    const response = await weather.fetch("/Lisbon");
    strictEqual(response.status, 200);
    deepStrictEqual(await response.json(), lisbon);
    deepStrictEqual(urls, ["http://127.0.0.1:47300/forecast?city=Lisbon"]);
  });
});

Deno.test("weather: the city is encoded into the upstream URL; config.upstreamUrl is used", async () => {
  await withFetch(() => Promise.resolve(Response.json(lisbon)), async (urls) => {
    await using weather = await testPlugin(plugin, { config: { upstreamUrl: "http://127.0.0.1:9999/" } });
    await (await weather.fetch("/S%C3%A3o%20Paulo%26x")).body?.cancel();
    deepStrictEqual(urls, ["http://127.0.0.1:9999/forecast?city=S%C3%A3o%20Paulo%26x"]);
  });
});

Deno.test("weather: an unreachable upstream is a 502 UPSTREAM_UNAVAILABLE", async () => {
  await withFetch(
    () => Promise.reject(new TypeError("error sending request: Connection refused (os error 111)")),
    async () => {
      await using weather = await testPlugin(plugin);
      const response = await weather.fetch("/Lisbon");
      strictEqual(response.status, 502);
      const { error } = await response.json();
      strictEqual(error.code, "UPSTREAM_UNAVAILABLE");
      match(error.message, /at http:\/\/127\.0\.0\.1:47300 cannot be reached/);
      strictEqual(weather.logs.at(-1)?.level, "warn");
    },
  );
});

Deno.test("weather: an upstream slower than timeoutMs is a 504 UPSTREAM_TIMEOUT", async () => {
  const hang = (_url: string, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) =>
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason))
    );
  await withFetch(hang, async () => {
    await using weather = await testPlugin(plugin, { config: { timeoutMs: 20 } });
    const started = performance.now();
    const response = await weather.fetch("/Lisbon");
    strictEqual(response.status, 504);
    strictEqual((await response.json()).error.code, "UPSTREAM_TIMEOUT");
    strictEqual(performance.now() - started < 1000, true);
  });
});

Deno.test("weather: upstream 404, 5xx and garbage become 404, 502 and 502", async () => {
  const cases: Array<[Response, number, string]> = [
    [new Response("no", { status: 404 }), 404, "CITY_NOT_FOUND"],
    [new Response("down", { status: 503 }), 502, "UPSTREAM_FAILED"],
    [new Response("not json"), 502, "UPSTREAM_INVALID"],
    [Response.json({ city: "x" }), 502, "UPSTREAM_INVALID"],
  ];
  for (const [upstream, status, code] of cases) {
    await withFetch(() => Promise.resolve(upstream), async () => {
      await using weather = await testPlugin(plugin);
      const response = await weather.fetch("/Lisbon");
      strictEqual(response.status, status, code);
      strictEqual((await response.json()).error.code, code);
    });
  }
});

Deno.test("weather: a bad configuration fails the start, naming the key", async () => {
  await rejects(
    testPlugin(plugin, { config: { upstreamUrl: "ftp://x" } }),
    /config\.upstreamUrl must be an http\(s\) URL/,
  );
  await rejects(
    testPlugin(plugin, { config: { timeoutMs: 0 } }),
    /config\.timeoutMs must be an integer from 1 to 60000/,
  );
});

const netGranted = Deno.permissions.querySync({ name: "net", host: "127.0.0.1:47300" }).state === "granted";

Deno.test({
  name: "weather: against a real upstream on 127.0.0.1:47300 (runs with --allow-net=127.0.0.1:47300)",
  ignore: !netGranted,
  async fn() {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 47300, onListen() {} }, (request) => {
      const city = new URL(request.url).searchParams.get("city");
      return city === "Lisbon" ? Response.json(lisbon) : new Response("unknown", { status: 404 });
    });
    try {
      await using weather = await testPlugin(plugin);
      deepStrictEqual(await (await weather.fetch("/Lisbon")).json(), lisbon);
      strictEqual((await weather.fetch("/Atlantis")).status, 404);
    } finally {
      await server.shutdown();
    }
    await using weather = await testPlugin(plugin);
    strictEqual((await weather.fetch("/Lisbon")).status, 502, "upstream gone");
  },
});
