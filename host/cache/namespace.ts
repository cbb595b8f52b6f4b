/**
 * One plugin's part of the host cache: an LRU of JSON texts bounded by bytes, with per-entry TTLs
 * and the counters /health reports. Its keys are its own: nothing outside the namespace reaches
 * them, so two plugins may use the same key.
 */
import { LRUCache } from "lru-cache";
import { cacheEntryBytes } from "../../schemas/cache.ts";

/** Monotonic counters and current sizes of one namespace (for /health and a metrics exporter). */
export interface CacheNamespaceStats {
  readonly name: string;
  /** The bound in force: the manifest's `cache.maxBytes`, capped by the host's ceiling. */
  readonly maxBytes: number;
  readonly bytes: number;
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses), or null before the first get. */
  readonly hitRate: number | null;
  readonly sets: number;
  readonly deletes: number;
  /** Entries dropped to make room (least recently used first), by this bound or the host's ceiling. */
  readonly evictions: number;
  /** Entries dropped because their TTL passed. */
  readonly expirations: number;
}

/** A clock in milliseconds; injected by tests. */
export type Clock = () => number;

export class CacheNamespace {
  readonly name: string;
  readonly maxBytes: number;
  readonly #lru: LRUCache<string, string>;
  #hits = 0;
  #misses = 0;
  #sets = 0;
  #deletes = 0;
  #evictions = 0;
  #expirations = 0;

  constructor(name: string, maxBytes: number, now: Clock = () => performance.now()) {
    this.name = name;
    this.maxBytes = maxBytes;
    this.#lru = new LRUCache<string, string>({
      maxSize: maxBytes,
      sizeCalculation: (value, key) => cacheEntryBytes(key, value),
      // Expired entries go when touched, when room is needed, or at purgeStale(): no timer per entry.
      ttlAutopurge: false,
      // Read the clock on every check: the default caches it for 1 ms behind a timer.
      ttlResolution: 0,
      perf: { now },
      dispose: (_value, _key, reason) => {
        if (reason === "evict") this.#evictions++;
        else if (reason === "expire") this.#expirations++;
      },
    });
  }

  /** The stored JSON text, or undefined for a miss (absent or expired). */
  get(key: string): string | undefined {
    const value = this.#lru.get(key);
    if (value === undefined) this.#misses++;
    else this.#hits++;
    return value;
  }

  /**
   * Stores `valueJson` under `key`, evicting least recently used entries to make room.
   * The caller has checked that the entry fits in `maxBytes`.
   */
  set(key: string, valueJson: string, ttlMs: number | undefined): void {
    this.#sets++;
    this.#lru.set(key, valueJson, ttlMs === undefined ? {} : { ttl: ttlMs });
  }

  /** Deletes `key`; true when a live entry was there. */
  delete(key: string): boolean {
    // has() is false for an expired entry, which delete() would still report as deleted.
    const live = this.#lru.has(key);
    this.#lru.delete(key);
    if (live) this.#deletes++;
    return live;
  }

  /** Evicts the least recently used entry; false when the namespace is empty. */
  evictOne(): boolean {
    if (this.#lru.size === 0) return false;
    this.#lru.pop();
    return true;
  }

  /** Drops every expired entry now, so sizes are exact. */
  purgeStale(): void {
    this.#lru.purgeStale();
  }

  /** Bytes held, expired entries not yet purged included. */
  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  /** Drops every entry without counting them as evictions. */
  clear(): void {
    this.#lru.clear();
  }

  stats(): CacheNamespaceStats {
    const lookups = this.#hits + this.#misses;
    return {
      name: this.name,
      maxBytes: this.maxBytes,
      bytes: this.#lru.calculatedSize,
      entries: this.#lru.size,
      hits: this.#hits,
      misses: this.#misses,
      hitRate: lookups === 0 ? null : this.#hits / lookups,
      sets: this.#sets,
      deletes: this.#deletes,
      evictions: this.#evictions,
      expirations: this.#expirations,
    };
  }
}
