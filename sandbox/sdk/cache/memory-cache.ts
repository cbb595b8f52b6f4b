/**
 * The host cache's services (`cache.get`, `cache.set`, `cache.delete`) served in memory, for
 * `testPlugin()`: the same rules as the host's (JSON values, TTLs, least recently used entries
 * evicted by size, `CORRAL_E_CACHE_TOO_LARGE`), with the same LRU library.
 *
 * @module
 */

import { LRUCache } from "lru-cache";
import { cacheEntryBytes, cacheKeyProblem, cacheTtlMs, cacheTtlProblem } from "../../../schemas/cache.ts";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";

/**
 * The in-memory cache of `testPlugin(plugin, { cache })`.
 *
 * @example
 * ```ts
 * import type { MemoryCacheOptions } from "@corral/sdk/testing";
 *
 * let now = 0;
 * const cache: MemoryCacheOptions = { maxBytes: 4096, now: () => now };
 * ```
 */
export interface MemoryCacheOptions {
  /** Like `cache.maxBytes` in plugin.json. Default 1 MiB. */
  readonly maxBytes?: number;
  /** The clock TTLs are measured with, in milliseconds; make your own to test expiry without waiting. */
  readonly now?: () => number;
}

/** A service method as the test host runs it. */
export type MemoryService = (payload: unknown) => unknown;

/** The `cache.*` services of one plugin under test, in memory. */
export function memoryCacheServices(options: MemoryCacheOptions = {}): Readonly<Record<string, MemoryService>> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`cache.maxBytes must be a positive integer, got ${maxBytes}`);
  const lru = new LRUCache<string, string>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => cacheEntryBytes(key, value),
    ttlAutopurge: false,
    ttlResolution: 0,
    ...(options.now === undefined ? {} : { perf: { now: options.now } }),
  });
  return Object.freeze({
    "cache.get": (payload: unknown) => {
      const json = lru.get(keyOf("cache.get", payload));
      return json === undefined ? { hit: false } : { hit: true, value: JSON.parse(json) };
    },
    "cache.set": (payload: unknown) => {
      const key = keyOf("cache.set", payload);
      const { value, ttlSeconds } = payload as { value?: unknown; ttlSeconds?: unknown };
      if (value === undefined) throw new CorralError(ErrorCode.CALL_FAILED, '"cache.set": the payload has no value; pass a JSON value (null is one)');
      const problem = cacheTtlProblem(ttlSeconds);
      if (problem !== null) throw new CorralError(ErrorCode.CALL_FAILED, `"cache.set": ${problem}`);
      const json = JSON.stringify(value);
      const size = cacheEntryBytes(key, json);
      if (size > maxBytes) {
        throw new CorralError(ErrorCode.CACHE_TOO_LARGE,
          `cache entry ${JSON.stringify(key.slice(0, 60))} takes ${size} bytes, more than the whole cache (${maxBytes} bytes); ` +
          "store less under one key, or raise cache.maxBytes");
      }
      lru.set(key, json, ttlSeconds === undefined ? {} : { ttl: cacheTtlMs(ttlSeconds as number) });
      return null;
    },
    "cache.delete": (payload: unknown) => {
      const key = keyOf("cache.delete", payload);
      const live = lru.has(key);
      lru.delete(key);
      return { deleted: live };
    },
  });
}

/** The `cache.*` services of a plugin under test without the capability: refused like the host does. */
export function deniedCacheServices(pluginName: string): Readonly<Record<string, MemoryService>> {
  const deny = (method: string) => () => {
    throw new CorralError(ErrorCode.CALL_DENIED,
      `plugin "${pluginName}" called "${method}" without the cache capability: in production add ` +
      `"cache": { "maxBytes": 1048576 } to its plugin.json; under testPlugin() pass the cache option ({ cache: true })`);
  };
  return Object.freeze({ "cache.get": deny("cache.get"), "cache.set": deny("cache.set"), "cache.delete": deny("cache.delete") });
}

function keyOf(method: string, payload: unknown): string {
  const key = (payload as { key?: unknown } | null)?.key;
  const problem = cacheKeyProblem(key);
  if (problem !== null) throw new CorralError(ErrorCode.CALL_FAILED, `"${method}": ${problem}`);
  return key as string;
}
