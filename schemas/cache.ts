/**
 * The cache capability's contract, shared by the host (which serves `cache.*` calls and must not
 * trust them) and the SDK (which checks its arguments early, where the author's mistake is):
 * the call payloads, what a key and a TTL may be, and how an entry's size is counted.
 *
 * @module
 */

/** The longest key, in UTF-16 code units (JavaScript string length). */
export const MAX_CACHE_KEY_LENGTH = 1024;

/**
 * Bytes counted per entry on top of its key and value: the cache's own bookkeeping (list links,
 * TTL slots, the map entry). A rough figure, so that a million tiny entries still count.
 */
export const CACHE_ENTRY_OVERHEAD_BYTES = 64;

/** Payload of `cache.get`, answered with {@linkcode CacheGetResult}. */
export interface CacheGetPayload {
  readonly key: string;
}

/** What `cache.get` answers: a hit carries the stored JSON value (which may be `null`). */
export type CacheGetResult = { readonly hit: true; readonly value: unknown } | { readonly hit: false };

/** Payload of `cache.set`, answered with nothing. Without `ttlSeconds` the entry lives until evicted. */
export interface CacheSetPayload {
  readonly key: string;
  readonly value: unknown;
  readonly ttlSeconds?: number;
}

/** Payload of `cache.delete`, answered with {@linkcode CacheDeleteResult}. */
export interface CacheDeletePayload {
  readonly key: string;
}

/** What `cache.delete` answers: whether there was a live entry to delete. */
export interface CacheDeleteResult {
  readonly deleted: boolean;
}

/** What is wrong with `key` as a cache key, or null when it is fine. */
export function cacheKeyProblem(key: unknown): string | null {
  if (typeof key !== "string") return `a cache key must be a string, got ${describe(key)}`;
  if (key.length === 0) return "a cache key must not be empty";
  if (key.length > MAX_CACHE_KEY_LENGTH) {
    return `a cache key may have at most ${MAX_CACHE_KEY_LENGTH} characters, got ${key.length} (${JSON.stringify(key.slice(0, 40))}…)`;
  }
  return null;
}

/** What is wrong with `ttlSeconds`, or null when it is fine (undefined means "no TTL"). */
export function cacheTtlProblem(ttlSeconds: unknown): string | null {
  if (ttlSeconds === undefined) return null;
  if (typeof ttlSeconds !== "number" || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    return `ttlSeconds must be a positive number of seconds, got ${describe(ttlSeconds)}`;
  }
  return null;
}

/** The TTL in whole milliseconds (never 0, which would mean "no TTL" to the LRU). */
export function cacheTtlMs(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds * 1000));
}

const encoder = new TextEncoder();

/** The size an entry counts for: its key and JSON text in UTF-8, plus the fixed overhead. */
export function cacheEntryBytes(key: string, valueJson: string): number {
  return utf8Length(key) + utf8Length(valueJson) + CACHE_ENTRY_OVERHEAD_BYTES;
}

function utf8Length(text: string): number {
  // ASCII is one byte per code unit; only other text needs the encoder.
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).length;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}
