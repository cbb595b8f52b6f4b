// Unit tests of the host cache: TTL expiry, eviction by size (least recently used first), per-plugin
// namespaces, the host-wide ceiling, and the counters /health shows.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CACHE_ENTRY_OVERHEAD_BYTES, cacheEntryBytes } from "../../../schemas/cache.ts";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { HostCache } from "../../../host/cache/host-cache.ts";

/** A cache on a clock the test moves by hand. */
function clocked(maxBytes = 1024 * 1024) {
  const clock = { now: 1_000 };
  return { cache: new HostCache({ maxBytes, now: () => clock.now }), clock };
}

/** A JSON string value whose entry under a one-letter key counts exactly `bytes`. */
function valueOf(bytes: number): string {
  return JSON.stringify("x".repeat(bytes - CACHE_ENTRY_OVERHEAD_BYTES - 1 - 2));
}

test("an entry lives until its TTL passes, on the cache's clock; one without a TTL stays", () => {
  const { cache, clock } = clocked();
  cache.set("p", 4096, "short", '"s"', 1000);
  cache.set("p", 4096, "forever", '"f"');
  clock.now += 999;
  assert.is(cache.get("p", 4096, "short"), '"s"');
  clock.now += 2;
  assert.is(cache.get("p", 4096, "short"), undefined);
  clock.now += 10 ** 9;
  assert.is(cache.get("p", 4096, "forever"), '"f"');
  const stats = cache.stats().plugins[0]!;
  assert.is(stats.expirations, 1);
  assert.is(stats.entries, 1);
});

test("past maxBytes the least recently used entries are evicted, and counted", () => {
  const { cache } = clocked();
  const value = valueOf(300);
  assert.is(cacheEntryBytes("a", value), 300);
  for (const key of ["a", "b", "c"]) cache.set("p", 1000, key, value);
  cache.get("p", 1000, "a"); // b is now the least recently used
  cache.set("p", 1000, "d", value);
  assert.is(cache.get("p", 1000, "b"), undefined);
  for (const key of ["a", "c", "d"]) assert.is(cache.get("p", 1000, key), value, key);
  const stats = cache.stats().plugins[0]!;
  assert.is(stats.evictions, 1);
  assert.is(stats.bytes, 900);
  assert.ok(stats.bytes <= stats.maxBytes);
});

test("replacing an entry is not an eviction, and its size is counted afresh", () => {
  const { cache } = clocked();
  cache.set("p", 1000, "a", valueOf(300));
  cache.set("p", 1000, "a", valueOf(500));
  const stats = cache.stats().plugins[0]!;
  assert.equal([stats.bytes, stats.entries, stats.evictions, stats.sets], [500, 1, 0, 2]);
});

test("an entry larger than the plugin's cache is refused with CACHE_TOO_LARGE and nothing is lost", () => {
  const { cache } = clocked();
  cache.set("p", 1000, "keep", '"k"');
  try {
    cache.set("p", 1000, "a", valueOf(1001));
    assert.unreachable("should refuse");
  } catch (error) {
    assert.instance(error, CorralError);
    assert.is((error as CorralError).code, ErrorCode.CACHE_TOO_LARGE);
    assert.match((error as Error).message, /takes 1001 bytes, more than plugin "p"'s whole cache \(1000 bytes, cache\.maxBytes in its plugin\.json\)/);
  }
  assert.is(cache.get("p", 1000, "keep"), '"k"');
});

test("namespaces: two plugins' same key are two entries; delete and drop touch only their own", () => {
  const { cache } = clocked();
  cache.set("a", 4096, "k", '"from a"');
  assert.is(cache.get("b", 4096, "k"), undefined);
  cache.set("b", 4096, "k", '"from b"');
  assert.is(cache.get("a", 4096, "k"), '"from a"');
  assert.is(cache.delete("b", 4096, "k"), true);
  assert.is(cache.delete("b", 4096, "k"), false);
  assert.is(cache.get("a", 4096, "k"), '"from a"');
  cache.drop("a");
  assert.equal(cache.stats().plugins.map((p) => p.name), ["b"]);
  assert.is(cache.get("a", 4096, "k"), undefined, "a dropped namespace starts empty");
});

test("the host-wide ceiling takes room from the largest namespace first, whoever pushed it over", () => {
  const { cache } = clocked(1000);
  cache.set("small", 1000, "s1", valueOf(200));
  for (const key of ["b1", "b2", "b3"]) cache.set("big", 1000, key, valueOf(250));
  // 200 + 750 = 950; small's second entry makes 1150: big, the largest, gives up its oldest.
  cache.set("small", 1000, "s2", valueOf(200));
  let stats = cache.stats();
  assert.ok(stats.bytes <= 1000, `${stats.bytes} within the ceiling`);
  assert.is(cache.get("small", 1000, "s1"), valueOf(200), "the small namespace kept its entries");
  assert.is(cache.get("small", 1000, "s2"), valueOf(200));
  assert.is(cache.get("big", 1000, "b1"), undefined, "the big one lost its least recently used");
  assert.is(stats.plugins.find((p) => p.name === "big")!.evictions, 1);
  // Now big (500) is still the largest: its own new entry costs it another old one.
  cache.set("big", 1000, "b4", valueOf(250));
  stats = cache.stats();
  assert.ok(stats.bytes <= 1000);
  assert.equal(stats.plugins.map((p) => [p.name, p.entries, p.evictions]), [["big", 2, 2], ["small", 2, 0]]);
});

test("expired entries are the first room the ceiling takes", () => {
  const { cache, clock } = clocked(1000);
  cache.set("a", 1000, "old", valueOf(400), 10);
  cache.set("b", 1000, "live", valueOf(400));
  clock.now += 20;
  cache.set("b", 1000, "more", valueOf(400));
  assert.is(cache.get("b", 1000, "live"), valueOf(400), "no live entry was evicted");
  assert.equal(cache.stats().plugins.map((p) => [p.name, p.evictions, p.expirations]), [["a", 0, 1], ["b", 0, 0]]);
});

test("a plugin's bound is capped by the ceiling, and a changed bound starts its namespace afresh", () => {
  const { cache } = clocked(2048);
  assert.is(cache.namespace("p", 10_000).maxBytes, 2048);
  cache.set("p", 10_000, "k", '"v"');
  cache.set("p", 1024, "other", '"w"');
  assert.is(cache.get("p", 1024, "k"), undefined);
  assert.is(cache.stats().plugins[0]!.maxBytes, 1024);
});

test("stats: hits, misses, hit rate, sets, deletes, bytes and entries, per plugin and in total", () => {
  const { cache } = clocked();
  assert.is(cache.namespace("p", 4096).stats().hitRate, null, "no rate before the first get");
  cache.set("p", 4096, "k", '"v"');
  cache.get("p", 4096, "k");
  cache.get("p", 4096, "k");
  cache.get("p", 4096, "nope");
  cache.delete("p", 4096, "k");
  cache.set("q", 4096, "k", "1");
  const stats = cache.stats();
  const p = stats.plugins.find((s) => s.name === "p")!;
  assert.equal({ hits: p.hits, misses: p.misses, hitRate: p.hitRate, sets: p.sets, deletes: p.deletes, entries: p.entries, bytes: p.bytes },
    { hits: 2, misses: 1, hitRate: 2 / 3, sets: 1, deletes: 1, entries: 0, bytes: 0 });
  assert.is(stats.bytes, cacheEntryBytes("k", "1"));
  assert.is(stats.entries, 1);
  assert.is(stats.maxBytes, 1024 * 1024);
});

test("a ceiling that is not a positive whole number is a RangeError", () => {
  assert.throws(() => new HostCache({ maxBytes: 0 }), /positive whole number of bytes, got 0/);
  assert.throws(() => new HostCache({ maxBytes: 1.5 }), RangeError);
});

test.run();
