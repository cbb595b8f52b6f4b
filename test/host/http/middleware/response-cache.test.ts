/** Tests for the response cache's store: keys, freshness, LRU by bytes, counters, drops. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ResponseCache } from "../../../../host/http/middleware/response-cache.ts";
import type { Storable } from "../../../../host/http/middleware/cache-rules.ts";

const KiB = 1024;

function clock(): { now: () => number; advance(ms: number): void } {
  let time = 1_000_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

const fresh = (seconds: number, vary: string[] = []): Storable => ({ lifetimeMs: seconds * 1000, initialAgeSeconds: 0, vary });
const answer = (text: string) => ({ status: 200, headers: ["content-type", "text/plain"], body: new TextEncoder().encode(text) });

test("a stored answer is found by plugin and URL, and counted as hits and misses", () => {
  const cache = new ResponseCache({ maxBytes: 64 * KiB, maxEntryBytes: 16 * KiB });
  assert.is(cache.lookup("a", "/plugins/a/x", {}), undefined);
  cache.store("a", "/plugins/a/x", {}, fresh(60), answer("one"));
  assert.is(new TextDecoder().decode(cache.lookup("a", "/plugins/a/x", {})!.body), "one");
  assert.is(cache.lookup("b", "/plugins/a/x", {}), undefined, "another plugin's key");
  assert.is(cache.lookup("a", "/plugins/a/x?y", {}), undefined, "another URL");
  const counters = cache.counters("a");
  assert.is(counters.hits, 1);
  assert.is(counters.misses, 2);
  assert.is(counters.stores, 1);
  assert.is(counters.entries, 1);
  assert.ok(counters.bytes > 3);
  assert.is(cache.counters("b").misses, 1);
  assert.equal(cache.report(), { maxBytes: 64 * KiB, bytes: counters.bytes, entries: 1 });
});

test("an entry is fresh until its lifetime has passed, counting the age it came with", () => {
  const time = clock();
  const cache = new ResponseCache({ maxBytes: 64 * KiB, maxEntryBytes: 16 * KiB, now: time.now });
  cache.store("a", "/x", {}, fresh(2), answer("one"));
  time.advance(1999);
  const entry = cache.lookup("a", "/x", {})!;
  assert.ok(entry);
  assert.is(cache.ageMs(entry), 1999);
  time.advance(1);
  assert.is(cache.lookup("a", "/x", {}), undefined);
  assert.is(cache.counters("a").entries, 0, "the stale entry is gone");
  cache.store("a", "/y", {}, { lifetimeMs: 10_000, initialAgeSeconds: 9, vary: [] }, answer("old already"));
  time.advance(1000);
  assert.is(cache.lookup("a", "/y", {}), undefined);
});

test("the request headers named in Vary are part of the key", () => {
  const cache = new ResponseCache({ maxBytes: 64 * KiB, maxEntryBytes: 16 * KiB });
  cache.store("a", "/x", { "accept-language": "en" }, fresh(60, ["accept-language"]), answer("en"));
  cache.store("a", "/x", { "accept-language": "fr" }, fresh(60, ["accept-language"]), answer("fr"));
  const text = (lang?: string) => {
    const entry = cache.lookup("a", "/x", lang === undefined ? {} : { "accept-language": lang });
    return entry === undefined ? undefined : new TextDecoder().decode(entry.body);
  };
  assert.is(text("en"), "en");
  assert.is(text("fr"), "fr");
  assert.is(text("de"), undefined);
  assert.is(text(), undefined);
  // The URL now varies on nothing: the two older variants can no longer be found and go.
  cache.store("a", "/x", {}, fresh(60), answer("any"));
  assert.is(text("de"), "any");
  assert.is(cache.counters("a").entries, 1);
});

test("least recently used entries go first once the bytes pass maxBytes", () => {
  const cache = new ResponseCache({ maxBytes: 4 * KiB, maxEntryBytes: 4 * KiB });
  const kib = "x".repeat(KiB);
  cache.store("a", "/1", {}, fresh(60), answer(kib));
  cache.store("a", "/2", {}, fresh(60), answer(kib));
  cache.store("b", "/3", {}, fresh(60), answer(kib));
  assert.ok(cache.lookup("a", "/1", {}), "touch /1: /2 is now the oldest");
  cache.store("b", "/4", {}, fresh(60), answer(kib));
  assert.is(cache.lookup("a", "/2", {}), undefined);
  assert.ok(cache.lookup("a", "/1", {}));
  assert.ok(cache.lookup("b", "/3", {}));
  assert.ok(cache.lookup("b", "/4", {}));
  assert.ok(cache.report().bytes <= 4 * KiB);
  assert.is(cache.counters("a").evictions, 1);
  assert.is(cache.counters("a").entries + cache.counters("b").entries, cache.report().entries);
});

test("an answer larger than maxEntryBytes is not stored", () => {
  const cache = new ResponseCache({ maxBytes: 64 * KiB, maxEntryBytes: 2 * KiB });
  cache.store("a", "/big", {}, fresh(60), answer("x".repeat(3 * KiB)));
  assert.is(cache.report().entries, 0);
  assert.is(cache.counters("a").stores, 0);
});

test("compressed copies count against the memory bound", () => {
  const cache = new ResponseCache({ maxBytes: 64 * KiB, maxEntryBytes: 16 * KiB });
  cache.store("a", "/x", {}, fresh(60), answer("x".repeat(2 * KiB)));
  const entry = cache.lookup("a", "/x", {})!;
  const before = cache.report().bytes;
  cache.addEncoding(entry, "gzip", Buffer.alloc(100));
  cache.addEncoding(entry, "gzip", Buffer.alloc(100));
  assert.is(cache.report().bytes, before + 100);
  assert.is(cache.counters("a").bytes, before + 100);
  assert.is(entry.encoded.get("gzip")!.byteLength, 100);
});

test("dropping a plugin removes its entries only and keeps its counters", () => {
  const cache = new ResponseCache({ maxBytes: 64 * KiB, maxEntryBytes: 16 * KiB });
  cache.store("a", "/1", {}, fresh(60), answer("1"));
  cache.store("a", "/2", {}, fresh(60), answer("2"));
  cache.store("b", "/3", {}, fresh(60), answer("3"));
  cache.lookup("a", "/1", {});
  cache.dropPlugin("a");
  assert.is(cache.lookup("a", "/1", {}), undefined);
  assert.ok(cache.lookup("b", "/3", {}));
  const a = cache.counters("a");
  assert.equal({ entries: a.entries, bytes: a.bytes, hits: a.hits, stores: a.stores }, { entries: 0, bytes: 0, hits: 1, stores: 2 });
  assert.is(cache.report().entries, 1);
  assert.equal(Object.keys(cache.allCounters()).sort(), ["a", "b"]);
});

test("a cache with no memory is off", () => {
  assert.not.ok(new ResponseCache({ maxBytes: 0, maxEntryBytes: 1024 }).enabled);
  assert.ok(new ResponseCache({ maxBytes: 1, maxEntryBytes: 1024 }).enabled);
});

test.run();
