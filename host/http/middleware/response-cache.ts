/**
 * The host's memory cache of plugin responses: public GET answers kept per plugin and URL (and
 * the request headers they vary on), served without a trip to the plugin until they expire.
 * Least recently used entries go first once the entries together pass `maxBytes`.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Encoding } from "./compression.ts";
import type { Storable } from "./cache-rules.ts";

/** One stored response. */
export interface CacheEntry {
  readonly plugin: string;
  readonly status: number;
  /** The plugin's headers as the host sends them, flat: [name, value, name, value, …]. */
  readonly headers: readonly string[];
  readonly body: Uint8Array;
  /** `Date.now()` when it was stored. */
  readonly storedAt: number;
  readonly lifetimeMs: number;
  readonly initialAgeSeconds: number;
  /** Compressed copies of `body`, made the first time a client asks for one. */
  readonly encoded: Map<Encoding, Buffer>;
}

/** Numbers for one plugin: counters only grow; `entries` and `bytes` are the current state. */
export interface CacheCounters {
  /** Requests answered from the cache. */
  readonly hits: number;
  /** Requests the cache could have answered but had no fresh entry for. */
  readonly misses: number;
  /** Responses stored. */
  readonly stores: number;
  /** Entries dropped to make room (not those that expired or were dropped with a restart). */
  readonly evictions: number;
  readonly entries: number;
  readonly bytes: number;
}

/** The whole cache as /health shows it. */
export interface CacheReport {
  readonly maxBytes: number;
  readonly bytes: number;
  readonly entries: number;
}

export interface ResponseCacheOptions {
  /** Memory for all entries together; 0 turns the cache off. */
  readonly maxBytes: number;
  /** The largest entry kept. */
  readonly maxEntryBytes: number;
  /** The clock, in milliseconds (tests). */
  readonly now?: () => number;
}

interface Slot {
  readonly entry: CacheEntry;
  readonly key: string;
  readonly base: string;
  bytes: number;
}

interface Counters {
  hits: number;
  misses: number;
  stores: number;
  evictions: number;
  entries: number;
  bytes: number;
}

/** What an entry costs beyond its body and headers: the key, the objects, the maps' slots. */
const ENTRY_OVERHEAD = 256;

export class ResponseCache {
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #now: () => number;
  /** Map order is the LRU order: the first key is the least recently used. */
  readonly #slots = new Map<string, Slot>();
  /** For each plugin + URL, the request headers its stored responses vary on, and how many there are. */
  readonly #vary = new Map<string, { names: readonly string[]; count: number }>();
  readonly #counters = new Map<string, Counters>();
  readonly #slotOf = new WeakMap<CacheEntry, Slot>();
  #bytes = 0;

  constructor(options: ResponseCacheOptions) {
    this.#maxBytes = options.maxBytes;
    this.#maxEntryBytes = Math.min(options.maxEntryBytes, options.maxBytes);
    this.#now = options.now ?? Date.now;
  }

  /** False when the operator gave it no memory. */
  get enabled(): boolean {
    return this.#maxBytes > 0;
  }

  /**
   * The fresh entry for this request, counted as a hit, or undefined, counted as a miss. Call it
   * only for requests that isCacheableRequest() accepts.
   */
  lookup(plugin: string, url: string, headers: IncomingHttpHeaders): CacheEntry | undefined {
    const counters = this.#countersOf(plugin);
    const base = plugin + "\n" + url;
    const vary = this.#vary.get(base);
    const key = vary === undefined ? undefined : base + varyKey(vary.names, headers);
    const slot = key === undefined ? undefined : this.#slots.get(key);
    if (slot === undefined) {
      counters.misses++;
      return undefined;
    }
    if (this.ageMs(slot.entry) >= slot.entry.lifetimeMs) {
      this.#remove(key!, slot);
      counters.misses++;
      return undefined;
    }
    this.#slots.delete(key!);
    this.#slots.set(key!, slot);
    counters.hits++;
    return slot.entry;
  }

  /**
   * Keeps a response the rules allowed (see storableResponse) and returns its entry; a response
   * larger than maxEntryBytes is not kept (undefined).
   */
  store(plugin: string, url: string, requestHeaders: IncomingHttpHeaders, storable: Storable,
    response: { status: number; headers: readonly string[]; body: Uint8Array }): CacheEntry | undefined {
    let headerBytes = 0;
    for (const part of response.headers) headerBytes += part.length;
    const bytes = response.body.byteLength + headerBytes + url.length + ENTRY_OVERHEAD;
    if (bytes > this.#maxEntryBytes) return undefined;
    const base = plugin + "\n" + url;
    const known = this.#vary.get(base);
    // A URL whose Vary changed: its older entries can no longer be found, so they go now.
    if (known !== undefined && known.names.join() !== storable.vary.join()) this.#removeBase(base);
    const key = base + varyKey(storable.vary, requestHeaders);
    const old = this.#slots.get(key);
    if (old !== undefined) this.#remove(key, old);
    const entry: CacheEntry = {
      plugin, status: response.status, headers: response.headers, body: response.body,
      storedAt: this.#now(), lifetimeMs: storable.lifetimeMs, initialAgeSeconds: storable.initialAgeSeconds,
      encoded: new Map(),
    };
    const slot: Slot = { entry, key, base, bytes };
    this.#slots.set(key, slot);
    this.#slotOf.set(entry, slot);
    const vary = this.#vary.get(base);
    if (vary === undefined) this.#vary.set(base, { names: storable.vary, count: 1 });
    else vary.count++;
    const counters = this.#countersOf(plugin);
    counters.stores++;
    counters.entries++;
    counters.bytes += bytes;
    this.#bytes += bytes;
    this.#evict();
    return entry;
  }

  /** Keeps a compressed copy of an entry's body, if the entry is still stored. */
  addEncoding(entry: CacheEntry, encoding: Encoding, body: Buffer): void {
    const slot = this.#slotOf.get(entry);
    if (slot === undefined || this.#slots.get(slot.key) !== slot || entry.encoded.has(encoding)) return;
    entry.encoded.set(encoding, body);
    slot.bytes += body.byteLength;
    this.#countersOf(entry.plugin).bytes += body.byteLength;
    this.#bytes += body.byteLength;
    this.#evict();
  }

  /** How old an entry is, in milliseconds, counting the age it had when the plugin sent it. */
  ageMs(entry: CacheEntry): number {
    return this.#now() - entry.storedAt + entry.initialAgeSeconds * 1000;
  }

  /** Drops every entry of a plugin (its process restarted: its answers may have changed). */
  dropPlugin(plugin: string): void {
    for (const [key, slot] of this.#slots) {
      if (slot.entry.plugin === plugin) this.#remove(key, slot);
    }
  }

  /** The numbers of one plugin (zeros when it never used the cache). */
  counters(plugin: string): CacheCounters {
    return { ...(this.#counters.get(plugin) ?? { hits: 0, misses: 0, stores: 0, evictions: 0, entries: 0, bytes: 0 }) };
  }

  /** The numbers of every plugin that used the cache, by name. */
  allCounters(): Record<string, CacheCounters> {
    return Object.fromEntries([...this.#counters].map(([plugin, counters]) => [plugin, { ...counters }]));
  }

  /** Totals for /health. */
  report(): CacheReport {
    return { maxBytes: this.#maxBytes, bytes: this.#bytes, entries: this.#slots.size };
  }

  #countersOf(plugin: string): Counters {
    let counters = this.#counters.get(plugin);
    if (counters === undefined) {
      counters = { hits: 0, misses: 0, stores: 0, evictions: 0, entries: 0, bytes: 0 };
      this.#counters.set(plugin, counters);
    }
    return counters;
  }

  #evict(): void {
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#slots.entries().next();
      if (oldest.done) return;
      const [key, slot] = oldest.value;
      this.#remove(key, slot);
      this.#countersOf(slot.entry.plugin).evictions++;
    }
  }

  #removeBase(base: string): void {
    for (const [key, slot] of this.#slots) if (slot.base === base) this.#remove(key, slot);
  }

  #remove(key: string, slot: Slot): void {
    this.#slots.delete(key);
    this.#bytes -= slot.bytes;
    const counters = this.#countersOf(slot.entry.plugin);
    counters.entries--;
    counters.bytes -= slot.bytes;
    const vary = this.#vary.get(slot.base);
    if (vary !== undefined && --vary.count === 0) this.#vary.delete(slot.base);
  }
}

/** The part of the key that the varied request headers make; "" when it varies on nothing. */
function varyKey(names: readonly string[], headers: IncomingHttpHeaders): string {
  let key = "";
  for (const name of names) {
    const value = headers[name];
    key += "\n" + (value === undefined ? "" : Array.isArray(value) ? value.join(", ") : value);
  }
  return key;
}
