/** Tests of ctx.cache's client side: argument checks and the `cache.*` calls it makes. @module */

import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { createCache } from "./client.ts";

function recordingHost(answers: Record<string, unknown>) {
  const calls: Array<[string, unknown]> = [];
  return {
    calls,
    host: { call: (method: string, payload: unknown) => (calls.push([method, payload]), Promise.resolve(answers[method] ?? null)) },
  };
}

Deno.test("ctx.cache: get maps a hit to its value (null included) and a miss to undefined", async () => {
  const hit = recordingHost({ "cache.get": { hit: true, value: { n: 1 } } });
  deepStrictEqual(await createCache(hit.host).get("k"), { n: 1 });
  deepStrictEqual(hit.calls, [["cache.get", { key: "k" }]]);
  strictEqual(await createCache(recordingHost({ "cache.get": { hit: true, value: null } }).host).get("k"), null);
  strictEqual(await createCache(recordingHost({ "cache.get": { hit: false } }).host).get("k"), undefined);
});

Deno.test("ctx.cache: set sends the value and the TTL only when given; delete reports whether there was one", async () => {
  const { host, calls } = recordingHost({ "cache.delete": { deleted: true } });
  const cache = createCache(host);
  await cache.set("a", [1, "two"]);
  await cache.set("b", null, { ttlSeconds: 1.5 });
  strictEqual(await cache.delete("a"), true);
  deepStrictEqual(calls, [
    ["cache.set", { key: "a", value: [1, "two"] }],
    ["cache.set", { key: "b", value: null, ttlSeconds: 1.5 }],
    ["cache.delete", { key: "a" }],
  ]);
});

Deno.test("ctx.cache: bad keys, values and TTLs are TypeErrors before anything is sent", async () => {
  const { host, calls } = recordingHost({});
  const cache = createCache(host);
  await rejects(cache.get(""), /ctx\.cache\.get\(\): a cache key must not be empty/);
  await rejects(cache.get(5 as unknown as string), /a cache key must be a string, got 5/);
  await rejects(cache.delete("x".repeat(1025)), /at most 1024 characters, got 1025/);
  await rejects(cache.set("k", undefined), /the value must be JSON .* got undefined/);
  await rejects(cache.set("k", () => 1), /got function/);
  await rejects(cache.set("k", 10n), /a bigint is not JSON/);
  for (const ttlSeconds of [0, -1, NaN, Infinity, "5" as unknown as number]) {
    await rejects(cache.set("k", 1, { ttlSeconds }), /ttlSeconds must be a positive number of seconds/);
  }
  deepStrictEqual(calls, []);
});
