// End to end: the cache capability through a real host, real Deno processes and HTTP routes of a
// fixture plugin: get/set/delete, TTL expiry, per-plugin namespaces, the manifest grant,
// eviction by size, and the counters in /health.
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, FIXTURES, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

const MAX_BYTES = 2048;

interface PluginCacheStats {
  name: string;
  maxBytes: number;
  bytes: number;
  entries: number;
  hits: number;
  misses: number;
  hitRate: number | null;
  sets: number;
  deletes: number;
  evictions: number;
  expirations: number;
}

const cache = suite<{ t: TestHost; work: string }>("cache");

/** A copy of the cachee2e fixture under another name, with or without the cache field. */
async function variant(work: string, name: string, grant: boolean): Promise<string> {
  const dir = join(work, name);
  await cp(join(FIXTURES, "cachee2e"), dir, { recursive: true });
  await writeFile(join(dir, "plugin.json"), JSON.stringify({
    name, version: "1.0.0", hostApi: "^0.1.0", ...(grant ? { cache: { maxBytes: MAX_BYTES } } : {}),
  }));
  return dir;
}

cache.before(async (ctx) => {
  ctx.work = await mkdtemp(join(tmpdir(), "corral-cache-"));
  const plugins = [
    await variant(ctx.work, "cache-a", true),
    await variant(ctx.work, "cache-b", true),
    await variant(ctx.work, "cache-none", false),
  ];
  ctx.t = await startTestHost({ plugins });
});
cache.after(async (ctx) => {
  await ctx.t.close();
  await rm(ctx.work, { recursive: true, force: true });
});

async function call(t: TestHost, method: string, plugin: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${t.url}/plugins/${plugin}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return await res.json();
}

const get = (t: TestHost, plugin: string, key: string) => call(t, "GET", plugin, `/get/${key}`);
const set = (t: TestHost, plugin: string, key: string, value: unknown, ttl?: number) =>
  call(t, "PUT", plugin, `/set/${key}${ttl === undefined ? "" : `?ttl=${ttl}`}`, value);
const del = (t: TestHost, plugin: string, key: string) => call(t, "DELETE", plugin, `/del/${key}`);

async function stats(t: TestHost, plugin: string): Promise<PluginCacheStats | undefined> {
  const health = await (await fetch(`${t.url}/health`)).json() as { cache: { plugins: PluginCacheStats[] } };
  return health.cache.plugins.find((p) => p.name === plugin);
}

cache("set, get and delete JSON values (null included)", async ({ t }) => {
  assert.equal(await get(t, "cache-a", "note"), { found: false, value: null });
  assert.equal(await set(t, "cache-a", "note", { title: "hi", tags: ["a"] }), { ok: true });
  assert.equal(await get(t, "cache-a", "note"), { found: true, value: { title: "hi", tags: ["a"] } });
  await set(t, "cache-a", "nothing", null);
  assert.equal(await get(t, "cache-a", "nothing"), { found: true, value: null });
  assert.equal(await del(t, "cache-a", "note"), { deleted: true });
  assert.equal(await del(t, "cache-a", "note"), { deleted: false });
  assert.equal(await get(t, "cache-a", "note"), { found: false, value: null });
});

cache("an entry with a TTL of 1 s expires", async ({ t }) => {
  await set(t, "cache-a", "short", "soon gone", 1);
  await set(t, "cache-a", "long", "stays");
  assert.equal(await get(t, "cache-a", "short"), { found: true, value: "soon gone" });
  await eventually(async () => (await get(t, "cache-a", "short")).found === false ? true : undefined, 5_000, "the entry to expire");
  assert.equal(await get(t, "cache-a", "long"), { found: true, value: "stays" });
  assert.ok((await stats(t, "cache-a"))!.expirations >= 1, "the expiry is counted");
});

cache("two plugins using the same key never see each other's entries", async ({ t }) => {
  await set(t, "cache-a", "shared", "from a");
  assert.equal(await get(t, "cache-b", "shared"), { found: false, value: null });
  await set(t, "cache-b", "shared", "from b");
  assert.equal(await get(t, "cache-a", "shared"), { found: true, value: "from a" });
  assert.equal(await get(t, "cache-b", "shared"), { found: true, value: "from b" });
  assert.equal(await del(t, "cache-b", "shared"), { deleted: true });
  assert.equal(await get(t, "cache-a", "shared"), { found: true, value: "from a" }, "b's delete left a's entry alone");
});

cache("a plugin without the cache field in its manifest is refused with CORRAL_E_CALL_DENIED", async ({ t }) => {
  for (const answer of [await get(t, "cache-none", "k"), await set(t, "cache-none", "k", 1), await del(t, "cache-none", "k")]) {
    assert.is(answer.error?.code, "CORRAL_E_CALL_DENIED", JSON.stringify(answer));
    assert.match(answer.error.message, /plugin "cache-none" called "cache\.\w+", but its plugin\.json has no "cache" field/);
  }
  assert.is(await stats(t, "cache-none"), undefined, "no namespace for a plugin without the grant");
});

cache("past maxBytes the least recently used entries are evicted; an entry larger than the cache is refused", async ({ t }) => {
  const text = "x".repeat(500); // ~570 bytes counted per entry: three fit in 2048, four do not
  for (const key of ["e1", "e2", "e3"]) await set(t, "cache-b", key, text);
  await get(t, "cache-b", "e1"); // e2 is now the least recently used
  const before = (await stats(t, "cache-b"))!.evictions;
  await set(t, "cache-b", "e4", text);
  assert.equal(await get(t, "cache-b", "e2"), { found: false, value: null }, "e2 was evicted");
  for (const key of ["e1", "e3", "e4"]) assert.is((await get(t, "cache-b", key)).found, true, key);
  const after = (await stats(t, "cache-b"))!;
  assert.is(after.evictions, before + 1);
  assert.ok(after.bytes <= MAX_BYTES, `bytes ${after.bytes} within maxBytes`);
  const tooLarge = await set(t, "cache-b", "huge", "y".repeat(3000));
  assert.is(tooLarge.error?.code, "CORRAL_E_CACHE_TOO_LARGE", JSON.stringify(tooLarge));
  assert.match(tooLarge.error.message, /more than plugin "cache-b"'s whole cache \(2048 bytes, cache\.maxBytes in its plugin\.json\)/);
});

cache("/health counts each plugin's hits, misses, sets, deletes and bytes, and the host's ceiling", async ({ t }) => {
  const before = (await stats(t, "cache-a"))!;
  await set(t, "cache-a", "counted", 1);
  await get(t, "cache-a", "counted");
  await get(t, "cache-a", "counted");
  await get(t, "cache-a", "absent");
  await del(t, "cache-a", "counted");
  const after = (await stats(t, "cache-a"))!;
  assert.is(after.hits - before.hits, 2);
  assert.is(after.misses - before.misses, 1);
  assert.is(after.sets - before.sets, 1);
  assert.is(after.deletes - before.deletes, 1);
  assert.is(after.maxBytes, MAX_BYTES);
  assert.is(after.hitRate, after.hits / (after.hits + after.misses));
  const health = await (await fetch(`${t.url}/health`)).json() as { cache: { maxBytes: number; bytes: number; plugins: PluginCacheStats[] } };
  assert.is(health.cache.maxBytes, 64 * 1024 * 1024);
  assert.is(health.cache.bytes, health.cache.plugins.reduce((sum, p) => sum + p.bytes, 0));
});

cache.run();
