/**
 * The shapes of the host cache as a plugin sees it (`ctx.cache`).
 *
 * @module
 */

/**
 * Options of {@linkcode PluginCache.set}.
 *
 * @example
 * ```ts
 * import type { CacheSetOptions } from "@corral/sdk";
 *
 * const fiveMinutes: CacheSetOptions = { ttlSeconds: 300 };
 * ```
 */
export interface CacheSetOptions {
  /** Seconds until the entry expires (fractions allowed). Without it, it stays until evicted. */
  readonly ttlSeconds?: number;
}

/**
 * A key-value cache kept in the host's memory, shared by every process and restart of the plugin
 * and private to it: keys live in the plugin's own namespace. Values are JSON (what
 * `JSON.stringify` keeps is what comes back). It is a cache, not a store: the least recently used
 * entries go when the plugin's `cache.maxBytes` (or the host's ceiling) is reached, and everything
 * goes when the host restarts.
 *
 * Needs `"cache": { "maxBytes": … }` in plugin.json; without it every call rejects with a
 * `CorralError` whose `code` is `CORRAL_E_CALL_DENIED`.
 *
 * @example
 * ```ts
 * import { definePlugin, type PluginEnv } from "@corral/sdk";
 * import { Hono } from "hono";
 *
 * const app = new Hono<PluginEnv>();
 * app.get("/weather/:city", async (c) => {
 *   const city = c.req.param("city");
 *   let report = await c.env.cache.get<{ temp: number }>(`weather:${city}`);
 *   if (report === undefined) {
 *     report = { temp: 21 }; // fetched from upstream in real life
 *     await c.env.cache.set(`weather:${city}`, report, { ttlSeconds: 300 });
 *   }
 *   return c.json(report);
 * });
 *
 * export default definePlugin({ app });
 * ```
 */
export interface PluginCache {
  /** The value stored under `key`, or `undefined` when there is none (never set, expired, evicted). */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /**
   * Stores `value` (any JSON value; `undefined` is refused) under `key`, replacing what was there.
   * Rejects with `CORRAL_E_CACHE_TOO_LARGE` when the entry alone exceeds the plugin's cache.
   */
  set(key: string, value: unknown, options?: CacheSetOptions): Promise<void>;
  /** Removes `key`; resolves true when there was an entry. */
  delete(key: string): Promise<boolean>;
}
