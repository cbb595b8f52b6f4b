/**
 * `ctx.cache`: the plugin's side of the host cache. Checks its arguments where the author made
 * the call (a `TypeError` with a useful stack), then calls the host services `cache.*`.
 *
 * @module
 */

import { cacheKeyProblem, type CacheGetResult, cacheTtlProblem } from "../../../schemas/cache.ts";
import type { HostServices } from "../_plugin-internals.ts";
import type { CacheSetOptions, PluginCache } from "./types.ts";

/** The cache a plugin reaches through `host`. */
export function createCache(host: HostServices): PluginCache {
  return Object.freeze({
    async get<T>(key: string): Promise<T | undefined> {
      checkKey("get", key);
      const result = await host.call("cache.get", { key }) as CacheGetResult | null;
      return result?.hit === true ? result.value as T : undefined;
    },
    async set(key: string, value: unknown, options: CacheSetOptions = {}): Promise<void> {
      checkKey("set", key);
      if (value === undefined || typeof value === "function" || typeof value === "symbol") {
        throw new TypeError(`ctx.cache.set(${JSON.stringify(key)}): the value must be JSON (null, a boolean, number, string, array or object), got ${typeof value}`);
      }
      if (typeof value === "bigint") {
        throw new TypeError(`ctx.cache.set(${JSON.stringify(key)}): a bigint is not JSON; store it as a string`);
      }
      const problem = cacheTtlProblem(options.ttlSeconds);
      if (problem !== null) throw new TypeError(`ctx.cache.set(${JSON.stringify(key)}): ${problem}`);
      await host.call("cache.set", options.ttlSeconds === undefined ? { key, value } : { key, value, ttlSeconds: options.ttlSeconds });
    },
    async delete(key: string): Promise<boolean> {
      checkKey("delete", key);
      const result = await host.call("cache.delete", { key }) as { deleted?: unknown } | null;
      return result?.deleted === true;
    },
  });
}

function checkKey(method: string, key: unknown): void {
  const problem = cacheKeyProblem(key);
  if (problem !== null) throw new TypeError(`ctx.cache.${method}(): ${problem}`);
}
