// Unit tests of the cache's host services: the manifest grant, untrusted payloads, and the
// results the SDK expects.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../schemas/errors.ts";
import { HostCache } from "../../../host/cache/host-cache.ts";
import { registerCacheServices } from "../../../host/cache/services.ts";
import type { Manifest } from "../../../host/manifest/manifest.ts";
import { ServiceRegistry } from "../../../host/services/registry.ts";
import { rejection } from "../../helpers/assert.ts";

function setup() {
  const registry = new ServiceRegistry();
  const cache = new HostCache({ maxBytes: 1024 * 1024 });
  registerCacheServices(registry, cache);
  const caller = (name: string, grant?: { maxBytes: number }) =>
    ({ name, manifest: { name, ...(grant === undefined ? {} : { cache: grant }) } as unknown as Manifest });
  return { registry, cache, granted: caller("p", { maxBytes: 4096 }), denied: caller("nocache") };
}

test("get, set and delete round-trip JSON through the registry", async () => {
  const { registry, granted } = setup();
  assert.is(await registry.dispatch(granted, "cache.get", '{"key":"k"}'), '{"hit":false}');
  assert.is(await registry.dispatch(granted, "cache.set", '{"key":"k","value":{"a":[1,null]},"ttlSeconds":60}'), "null");
  assert.is(await registry.dispatch(granted, "cache.get", '{"key":"k"}'), '{"hit":true,"value":{"a":[1,null]}}');
  assert.is(await registry.dispatch(granted, "cache.set", '{"key":"n","value":null}'), "null");
  assert.is(await registry.dispatch(granted, "cache.get", '{"key":"n"}'), '{"hit":true,"value":null}');
  assert.is(await registry.dispatch(granted, "cache.delete", '{"key":"k"}'), '{"deleted":true}');
  assert.is(await registry.dispatch(granted, "cache.delete", '{"key":"k"}'), '{"deleted":false}');
});

test("without the manifest's cache field every method is CALL_DENIED, naming the field", async () => {
  const { registry, denied } = setup();
  for (const method of ["cache.get", "cache.set", "cache.delete"]) {
    const error = await rejection(registry.dispatch(denied, method, '{"key":"k","value":1}'));
    assert.is(error.code, ErrorCode.CALL_DENIED);
    assert.match(error.message, new RegExp(`plugin "nocache" called "${method.replace(".", "\\.")}", but its plugin\\.json has no "cache" field; add "cache": \\{ "maxBytes": 1048576 \\}`));
  }
});

test("bad payloads are CALL_FAILED with what is wrong, and store nothing", async () => {
  const { registry, granted, cache } = setup();
  const cases: Array<[string, string, RegExp]> = [
    ["cache.get", "null", /the payload must be an object like \{ "key": "\.\.\." \}, got null/],
    ["cache.get", "[1]", /must be an object/],
    ["cache.get", '{"key":7}', /a cache key must be a string, got 7/],
    ["cache.get", '{"key":""}', /a cache key must not be empty/],
    ["cache.delete", JSON.stringify({ key: "x".repeat(1025) }), /at most 1024 characters, got 1025/],
    ["cache.set", '{"key":"k"}', /the payload has no value/],
    ["cache.set", '{"key":"k","value":1,"ttlSeconds":0}', /ttlSeconds must be a positive number of seconds, got 0/],
    ["cache.set", '{"key":"k","value":1,"ttlSeconds":"5"}', /ttlSeconds must be a positive number/],
  ];
  for (const [method, payload, message] of cases) {
    const error = await rejection(registry.dispatch(granted, method, payload));
    assert.is(error.code, ErrorCode.CALL_FAILED, payload);
    assert.match(error.message, message);
  }
  assert.is(cache.stats().plugins[0]?.entries ?? 0, 0);
});

test("a value larger than the plugin's maxBytes is CACHE_TOO_LARGE", async () => {
  const { registry, granted } = setup();
  const error = await rejection(registry.dispatch(granted, "cache.set", JSON.stringify({ key: "k", value: "x".repeat(5000) })));
  assert.is(error.code, ErrorCode.CACHE_TOO_LARGE);
});

test.run();
