// End to end: the host keeps public plugin GET answers and serves them without asking the plugin.
import { request } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { json, send } from "../helpers/http.ts";

interface Counters { hits: number; misses: number; stores: number; evictions: number; entries: number; bytes: number }
interface Health {
  responseCache: { maxBytes: number; bytes: number; entries: number };
  plugins: Array<{ name: string; state: string; restarts: number; responseCache: Counters }>;
}

const cache = suite<{ t: TestHost }>("response cache");

cache.before(async (ctx) => {
  ctx.t = await startTestHost({
    plugins: ["mw-probe", "echo"],
    restart: { baseDelayMs: 100, maxDelayMs: 400, maxCrashes: 5, windowMs: 60_000 },
  });
});
cache.after(async (ctx) => {
  await ctx.t.close();
});

const probe = (t: TestHost, path: string) => `${t.url}/plugins/mw-probe${path}`;

/** How many times the plugin itself answered `GET <path>`. */
async function answered(t: TestHost, path: string): Promise<number> {
  return json<{ seen: string[] }>(await send(probe(t, "/seen"))).seen.filter((s) => s === `GET ${path}` || s === `HEAD ${path}`).length;
}

async function health(t: TestHost): Promise<Health> {
  return json<Health>(await send(`${t.url}/health`));
}

cache("a public answer is stored: the second GET and a HEAD are served without the plugin, with Age", async ({ t }) => {
  const first = await send(probe(t, "/cache/public"));
  assert.is(first.status, 200);
  assert.is(first.headers.age, undefined);
  const second = await send(probe(t, "/cache/public"), { headers: { "x-request-id": "from-cache-1" } });
  assert.is(second.text, first.text);
  assert.match(String(second.headers.age), /^\d+$/);
  assert.is(second.headers["cache-control"], "public, max-age=60");
  assert.is(second.headers["x-request-id"], "from-cache-1", "a hit gets its own request id");
  assert.is(second.headers["x-content-type-options"], "nosniff");
  const head = await send(probe(t, "/cache/public"), { method: "HEAD" });
  assert.is(head.status, 200);
  assert.is(Number(head.headers["content-length"]), Buffer.byteLength(first.text));
  assert.is(await answered(t, "/cache/public"), 1);
  const record = await eventually(() => t.logs.find((r) => r.fields?.requestId === "from-cache-1"), 5000, "the hit's access record");
  assert.is(record.fields?.cache, "hit");
  assert.is(record.plugin, "mw-probe");
});

cache("a served answer has one Age, counting the Age the plugin gave it", async ({ t }) => {
  const first = await send(probe(t, "/cache/aged"));
  assert.is(first.headers.age, "5");
  // Node keeps only the first of repeated Age headers in res.headers: count them in rawHeaders.
  const ages = await new Promise<string[]>((resolve, reject) => {
    request(probe(t, "/cache/aged"), (res) => {
      res.resume();
      resolve(res.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === "age"));
    }).on("error", reject).end();
  });
  assert.is(ages.length, 1, "one Age header");
  assert.is(await answered(t, "/cache/aged"), 1);
  const again = await send(probe(t, "/cache/aged"));
  assert.ok(Number(again.headers.age) >= 5);
});

cache("s-maxage is stored like public max-age", async ({ t }) => {
  await send(probe(t, "/cache/shared"));
  await send(probe(t, "/cache/shared"));
  assert.is(await answered(t, "/cache/shared"), 1);
});

cache("private, no-store, no-cache, Set-Cookie and max-age without public are not stored", async ({ t }) => {
  for (const kind of ["private", "no-store", "no-cache", "cookie", "plain"]) {
    const first = await send(probe(t, `/cache/${kind}`));
    const second = await send(probe(t, `/cache/${kind}`));
    assert.is.not(second.text, first.text, kind);
    assert.is(second.headers.age, undefined, kind);
    assert.is(await answered(t, `/cache/${kind}`), 2, kind);
  }
});

cache("requests with Cookie or Authorization go to the plugin even when an entry exists", async ({ t }) => {
  await send(probe(t, "/cache/public?creds=1"));
  await send(probe(t, "/cache/public?creds=1"), { headers: { cookie: "session=1" } });
  await send(probe(t, "/cache/public?creds=1"), { headers: { authorization: "Bearer x" } });
  assert.is(await answered(t, "/cache/public"), 1 + 3, "the earlier test's one, then these three");
});

cache("the URL and the headers named in Vary are part of the key", async ({ t }) => {
  const en = await send(probe(t, "/cache/vary"), { headers: { "accept-language": "en" } });
  const fr = await send(probe(t, "/cache/vary"), { headers: { "accept-language": "fr" } });
  assert.match(en.text, /lang=en/);
  assert.match(fr.text, /lang=fr/);
  const enAgain = await send(probe(t, "/cache/vary"), { headers: { "accept-language": "en" } });
  assert.is(enAgain.text, en.text);
  assert.is(await answered(t, "/cache/vary"), 2);
  await send(probe(t, "/cache/vary?page=2"), { headers: { "accept-language": "en" } });
  assert.is(await answered(t, "/cache/vary"), 3);
});

cache("an entry expires after its max-age", async ({ t }) => {
  const first = await send(probe(t, "/cache/short"));
  const hit = await send(probe(t, "/cache/short"));
  assert.is(hit.text, first.text);
  assert.is(await answered(t, "/cache/short"), 1);
  await new Promise((r) => setTimeout(r, 1100));
  const fresh = await send(probe(t, "/cache/short"));
  assert.is.not(fresh.text, first.text);
  assert.is(await answered(t, "/cache/short"), 2);
});

cache("a cached answer is compressed per client and decodes to the stored body", async ({ t }) => {
  const plain = await send(probe(t, "/cache/big"));
  assert.ok(plain.body.byteLength > 1024);
  const gz = await send(probe(t, "/cache/big"), { headers: { "accept-encoding": "gzip" } });
  const br = await send(probe(t, "/cache/big"), { headers: { "accept-encoding": "br" } });
  const brAgain = await send(probe(t, "/cache/big"), { headers: { "accept-encoding": "br" } });
  assert.is(gz.headers["content-encoding"], "gzip");
  assert.is(gunzipSync(gz.body).toString(), plain.text);
  assert.is(brotliDecompressSync(br.body).toString(), plain.text);
  assert.ok(brAgain.body.equals(br.body));
  assert.is(gz.headers.vary, "Accept-Encoding");
  assert.is(await answered(t, "/cache/big"), 1);
});

cache("/health shows hits, misses, entries and bytes per plugin and the totals", async ({ t }) => {
  const before = (await health(t)).plugins.find((p) => p.name === "mw-probe")!.responseCache;
  await send(probe(t, "/cache/public?health=1"));
  await send(probe(t, "/cache/public?health=1"));
  await send(probe(t, "/cache/public?health=1"));
  const report = await health(t);
  const after = report.plugins.find((p) => p.name === "mw-probe")!.responseCache;
  assert.is(after.hits, before.hits + 2);
  assert.is(after.misses, before.misses + 1);
  assert.is(after.stores, before.stores + 1);
  assert.is(after.entries, before.entries + 1);
  assert.ok(after.bytes > before.bytes);
  assert.ok(report.responseCache.entries >= after.entries);
  assert.ok(report.responseCache.bytes >= after.bytes);
  assert.is(report.responseCache.maxBytes, 64 * 1024 * 1024);
  const echo = report.plugins.find((p) => p.name === "echo")!.responseCache;
  assert.equal(echo, { hits: 0, misses: 0, stores: 0, evictions: 0, entries: 0, bytes: 0 });
});

cache("a plugin's entries are dropped when its process restarts", async ({ t }) => {
  await send(probe(t, "/cache/public?restart=1"));
  await send(probe(t, "/cache/public?restart=1"));
  const before = await health(t);
  const entry = before.plugins.find((p) => p.name === "mw-probe")!;
  assert.ok(entry.responseCache.entries > 0);
  const seenBefore = await answered(t, "/cache/public");
  await send(probe(t, "/exit"));
  const after = await eventually(async () => {
    const h = await health(t);
    const p = h.plugins.find((x) => x.name === "mw-probe")!;
    return p.state === "ready" && p.restarts > entry.restarts ? p : undefined;
  }, 15_000, "mw-probe to restart");
  assert.is(after.responseCache.entries, 0);
  assert.is(after.responseCache.bytes, 0);
  await send(probe(t, "/cache/public?restart=1"));
  // The new process counts from zero: it answered this one itself.
  assert.is(await answered(t, "/cache/public"), 1);
  assert.ok(seenBefore >= 1);
});

cache.run();

const off = suite<{ t: TestHost }>("response cache turned off");

off.before(async (ctx) => {
  ctx.t = await startTestHost({ plugins: ["mw-probe"], policy: { http: { responseCache: { maxBytes: 0 } } } });
});
off.after(async (ctx) => {
  await ctx.t.close();
});

off("with http.responseCache.maxBytes 0 every GET reaches the plugin and nothing is counted", async ({ t }) => {
  await send(probe(t, "/cache/public"));
  await send(probe(t, "/cache/public"));
  assert.is(await answered(t, "/cache/public"), 2);
  const entry = (await health(t)).plugins.find((p) => p.name === "mw-probe")!;
  assert.equal(entry.responseCache, { hits: 0, misses: 0, stores: 0, evictions: 0, entries: 0, bytes: 0 });
});

off.run();
