/**
 * The host's cache: one namespace per plugin, each bounded by its manifest's `cache.maxBytes`,
 * and all of them together by a host-wide ceiling. When the ceiling is reached, the largest
 * namespace gives up its least recently used entries first, so one busy plugin cannot push a
 * small one's entries out.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { cacheEntryBytes } from "../../schemas/cache.ts";
import { CacheNamespace } from "./namespace.ts";
import type { CacheNamespaceStats, Clock } from "./namespace.ts";

/** Default host-wide ceiling (CORRAL_CACHE_MAX_BYTES): 64 MiB. */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/** What /health shows under `cache`. */
export interface CacheStats {
  /** The host-wide ceiling. */
  readonly maxBytes: number;
  readonly bytes: number;
  readonly entries: number;
  /** One per plugin that has the capability, by name. */
  readonly plugins: readonly CacheNamespaceStats[];
}

export interface HostCacheOptions {
  /** The host-wide ceiling in bytes. */
  readonly maxBytes: number;
  /** Milliseconds clock for TTLs (tests); defaults to performance.now(). */
  readonly now?: Clock;
}

export class HostCache {
  readonly #maxBytes: number;
  readonly #now: Clock | undefined;
  readonly #namespaces = new Map<string, CacheNamespace>();

  constructor(options: HostCacheOptions) {
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < 1) {
      throw new RangeError(`the host cache's ceiling must be a positive whole number of bytes, got ${options.maxBytes}`);
    }
    this.#maxBytes = options.maxBytes;
    this.#now = options.now;
  }

  /** The host-wide ceiling in bytes. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /**
   * The namespace of `plugin`, bounded by `maxBytes` (capped at the ceiling). A namespace whose
   * bound changed (the plugin was updated) starts afresh.
   */
  namespace(plugin: string, maxBytes: number): CacheNamespace {
    const bound = Math.min(maxBytes, this.#maxBytes);
    let namespace = this.#namespaces.get(plugin);
    if (namespace === undefined || namespace.maxBytes !== bound) {
      namespace?.clear();
      namespace = new CacheNamespace(plugin, bound, this.#now);
      this.#namespaces.set(plugin, namespace);
    }
    return namespace;
  }

  /** The stored JSON text for `key` in `plugin`'s namespace, or undefined. */
  get(plugin: string, maxBytes: number, key: string): string | undefined {
    return this.namespace(plugin, maxBytes).get(key);
  }

  /**
   * Stores an entry for `plugin`, then brings the host back under its ceiling.
   *
   * @throws {CorralError} CACHE_TOO_LARGE when the entry alone is larger than the plugin's bound.
   */
  set(plugin: string, maxBytes: number, key: string, valueJson: string, ttlMs?: number): void {
    const namespace = this.namespace(plugin, maxBytes);
    const size = cacheEntryBytes(key, valueJson);
    if (size > namespace.maxBytes) {
      throw new CorralError(ErrorCode.CACHE_TOO_LARGE,
        `cache entry ${JSON.stringify(key.slice(0, 60))} takes ${size} bytes, more than plugin "${plugin}"'s whole cache ` +
        `(${namespace.maxBytes} bytes${namespace.maxBytes < maxBytes ? ", the host's ceiling" : ", cache.maxBytes in its plugin.json"}); ` +
        "store less under one key, or raise cache.maxBytes");
    }
    namespace.set(key, valueJson, ttlMs);
    this.#enforceCeiling();
  }

  /** Deletes `key` from `plugin`'s namespace; true when a live entry was there. */
  delete(plugin: string, maxBytes: number, key: string): boolean {
    return this.namespace(plugin, maxBytes).delete(key);
  }

  /** Forgets a plugin's namespace (it was uninstalled). */
  drop(plugin: string): void {
    this.#namespaces.get(plugin)?.clear();
    this.#namespaces.delete(plugin);
  }

  /** Sizes and counters, expired entries purged first so the sizes are exact. */
  stats(): CacheStats {
    const plugins = [...this.#namespaces.values()]
      .map((namespace) => {
        namespace.purgeStale();
        return namespace.stats();
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      maxBytes: this.#maxBytes,
      bytes: plugins.reduce((sum, p) => sum + p.bytes, 0),
      entries: plugins.reduce((sum, p) => sum + p.entries, 0),
      plugins,
    };
  }

  #total(): number {
    let total = 0;
    for (const namespace of this.#namespaces.values()) total += namespace.bytes;
    return total;
  }

  #enforceCeiling(): void {
    if (this.#total() <= this.#maxBytes) return;
    // Expired entries are the cheapest room there is.
    for (const namespace of this.#namespaces.values()) namespace.purgeStale();
    let total = this.#total();
    while (total > this.#maxBytes) {
      let largest: CacheNamespace | undefined;
      for (const namespace of this.#namespaces.values()) {
        if (largest === undefined || namespace.bytes > largest.bytes) largest = namespace;
      }
      if (largest === undefined || !largest.evictOne()) return;
      total = this.#total();
    }
  }
}
