// End to end: plugins' static files and compiled assets, served by a real host straight from disk.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FIXTURES, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

interface Ctx {
  t: TestHost;
  work: string;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

const statics = suite<Ctx>("static files");
const SITE = "/plugins/static-site/static";
const STYLE = readFileSync(join(FIXTURES, "static-site/static/style.css"));
/** Content that lives outside the static folder and must never come back. */
const OUTSIDE = [readFileSync("/etc/passwd", "utf8").split("\n")[0]!, '"name": "static-site"', "definePlugin", "must-not-leak"];

statics.before(async (ctx) => {
  ctx.work = await mkdtemp(join(tmpdir(), "corral-static-e2e-"));
  // The host's override folder replaces theme.css of static-site.
  await mkdir(join(ctx.work, "host-static/plugins/static-site"), { recursive: true });
  await writeFile(join(ctx.work, "host-static/plugins/static-site/theme.css"), "host override theme");
  // A plugin whose asset does not compile; made here so that `deno check` of the fixtures stays clean.
  const broken = join(ctx.work, "static-broken");
  await mkdir(join(broken, "assets"), { recursive: true });
  await writeFile(join(broken, "plugin.json"), JSON.stringify({ name: "static-broken", version: "1.0.0", hostApi: "^0.1.0", assets: ["assets/app.ts"] }));
  await writeFile(join(broken, "mod.ts"), `import { Hono } from "hono";\nimport { definePlugin } from "@corral/sdk";\nconst app = new Hono();\napp.get("/", (c) => c.text("broken assets, working routes"));\nexport default definePlugin({ app });\n`);
  await writeFile(join(broken, "assets/app.ts"), "export const ok = 1;\nconst broken = ;\n");
  ctx.t = await startTestHost({ plugins: ["static-site", broken], staticDir: join(ctx.work, "host-static") });
});
statics.after(async (ctx) => {
  await ctx.t.close();
  await rm(ctx.work, { recursive: true, force: true });
});

/** A request with the path sent exactly as written (fetch would normalize "..") and no decompression. */
function raw(t: TestHost, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.url}/`, { method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

function sha(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function pluginHits(t: TestHost): Promise<number> {
  return ((await (await fetch(`${t.url}/plugins/static-site/hits`)).json()) as { hits: number }).hits;
}

statics("a file is served with its content type, ETag, Last-Modified and a revalidating Cache-Control", async ({ t }) => {
  const res = await raw(t, `${SITE}/style.css`);
  assert.is(res.status, 200);
  assert.ok(res.body.equals(STYLE), "the bytes on disk");
  assert.is(res.headers["content-type"], "text/css; charset=utf-8");
  assert.is(res.headers["cache-control"], "no-cache");
  assert.is(res.headers["etag"], `"${sha(STYLE).slice(0, 32)}"`);
  assert.ok(typeof res.headers["last-modified"] === "string" && !Number.isNaN(Date.parse(res.headers["last-modified"])));
  assert.is(res.headers["x-content-type-options"], "nosniff");
  assert.is(res.headers["content-length"], String(STYLE.length));
  assert.is(res.headers["x-from-plugin"], undefined);
  const png = await raw(t, `${SITE}/img/pixel.png`);
  assert.is(png.status, 200);
  assert.is(png.headers["content-type"], "image/png");
  assert.ok(png.body.equals(readFileSync(join(FIXTURES, "static-site/static/img/pixel.png"))));
  assert.is((await raw(t, `${SITE}/readme.txt`)).headers["content-type"], "text/plain; charset=utf-8");
});

statics("If-None-Match and If-Modified-Since answer 304 without a body; a stale ETag gets the file", async ({ t }) => {
  const first = await raw(t, `${SITE}/style.css`);
  const etag = first.headers["etag"] as string;
  const byTag = await raw(t, `${SITE}/style.css`, { "if-none-match": etag });
  assert.is(byTag.status, 304);
  assert.is(byTag.body.length, 0);
  assert.is(byTag.headers["etag"], etag);
  assert.is(byTag.headers["cache-control"], "no-cache");
  const byDate = await raw(t, `${SITE}/style.css`, { "if-modified-since": first.headers["last-modified"] as string });
  assert.is(byDate.status, 304);
  assert.is(byDate.body.length, 0);
  const stale = await raw(t, `${SITE}/style.css`, { "if-none-match": '"0000"' });
  assert.is(stale.status, 200);
  assert.ok(stale.body.equals(STYLE));
  const old = await raw(t, `${SITE}/style.css`, { "if-modified-since": "Thu, 01 Jan 1970 00:00:00 GMT" });
  assert.is(old.status, 200);
});

statics("a fingerprinted URL is served immutable; a stale fingerprint is a 404 naming the current URL", async ({ t }) => {
  const url = `${SITE}/style.${sha(STYLE).slice(0, 8)}.css`;
  const res = await raw(t, url);
  assert.is(res.status, 200);
  assert.ok(res.body.equals(STYLE));
  assert.is(res.headers["cache-control"], "public, max-age=31536000, immutable");
  const stale = await raw(t, `${SITE}/style.0badf00d.css`);
  assert.is(stale.status, 404);
  assert.is(stale.headers["cache-control"], "no-store");
  const error = JSON.parse(stale.body.toString()) as { error: { code: string; message: string } };
  assert.is(error.error.code, "CORRAL_E_STATIC_NOT_FOUND");
  assert.ok(error.error.message.includes(url), error.error.message);
});

statics("gzip and brotli bodies decode to the original, with Vary: Accept-Encoding", async ({ t }) => {
  const br = await raw(t, `${SITE}/style.css`, { "accept-encoding": "gzip, deflate, br" });
  assert.is(br.headers["content-encoding"], "br");
  assert.is(br.headers["vary"], "Accept-Encoding");
  assert.ok(br.body.length < STYLE.length, "smaller than the file");
  assert.ok(brotliDecompressSync(br.body).equals(STYLE));
  assert.is(br.headers["etag"], `W/"${sha(STYLE).slice(0, 32)}"`);
  const gzip = await raw(t, `${SITE}/style.css`, { "accept-encoding": "gzip" });
  assert.is(gzip.headers["content-encoding"], "gzip");
  assert.is(gzip.headers["content-length"], String(gzip.body.length));
  assert.ok(gunzipSync(gzip.body).equals(STYLE));
  const again = await raw(t, `${SITE}/style.css`, { "accept-encoding": "br" });
  assert.ok(again.body.equals(br.body), "the cached variant");
  const none = await raw(t, `${SITE}/style.css`, { "accept-encoding": "identity" });
  assert.is(none.headers["content-encoding"], undefined);
  assert.is(none.headers["vary"], "Accept-Encoding");
  const png = await raw(t, `${SITE}/img/pixel.png`, { "accept-encoding": "br, gzip" });
  assert.is(png.headers["content-encoding"], undefined, "images are not recompressed");
  assert.is(png.headers["vary"], undefined);
});

statics("HEAD answers the headers of GET and no body", async ({ t }) => {
  const head = await raw(t, `${SITE}/style.css`, {}, "HEAD");
  assert.is(head.status, 200);
  assert.is(head.body.length, 0);
  assert.is(head.headers["content-length"], String(STYLE.length));
  assert.is(head.headers["content-type"], "text/css; charset=utf-8");
  const headBr = await raw(t, `${SITE}/style.css`, { "accept-encoding": "br" }, "HEAD");
  assert.is(headBr.headers["content-encoding"], "br");
  assert.is(headBr.body.length, 0);
});

statics("a byte range is answered 206 from the stored bytes; If-Range and unsatisfiable ranges are honoured", async ({ t }) => {
  const part = await raw(t, `${SITE}/style.css`, { range: "bytes=10-29", "accept-encoding": "br" });
  assert.is(part.status, 206);
  assert.is(part.headers["content-range"], `bytes 10-29/${STYLE.length}`);
  assert.is(part.headers["content-encoding"], undefined, "a range is of the stored bytes");
  assert.ok(part.body.equals(STYLE.subarray(10, 30)));
  const tail = await raw(t, `${SITE}/style.css`, { range: "bytes=-16" });
  assert.ok(tail.body.equals(STYLE.subarray(STYLE.length - 16)));
  const tag = `"${sha(STYLE).slice(0, 32)}"`;
  assert.is((await raw(t, `${SITE}/style.css`, { range: "bytes=0-9", "if-range": tag })).status, 206);
  const changed = await raw(t, `${SITE}/style.css`, { range: "bytes=0-9", "if-range": '"old"' });
  assert.is(changed.status, 200, "the file changed since: the whole file");
  assert.ok(changed.body.equals(STYLE));
  const beyond = await raw(t, `${SITE}/style.css`, { range: `bytes=${STYLE.length}-` });
  assert.is(beyond.status, 416);
  assert.is(beyond.headers["content-range"], `bytes */${STYLE.length}`);
  assert.is((await raw(t, `${SITE}/style.css`)).headers["accept-ranges"], "bytes");
});

// [what, raw request path, the statuses that may answer]
const ATTACKS: Array<[string, string, number[]]> = [
  ["plain .. to the manifest", `${SITE}/../plugin.json`, [403]],
  ["plain .. to the entry module", `${SITE}/img/../../mod.ts`, [403]],
  ["plain .. out of the host", `${SITE}/../../../../../../etc/passwd`, [404]],
  ["encoded ..", `${SITE}/%2e%2e/plugin.json`, [403]],
  ["encoded .. in upper case, out of the host", `${SITE}/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd`, [404]],
  ["encoded .. in upper case", `${SITE}/%2E%2E/mod.ts`, [403]],
  ["encoded slash", `${SITE}/..%2fplugin.json`, [403]],
  ["encoded backslash", `${SITE}/..%5cplugin.json`, [403]],
  ["double-encoded ..", `${SITE}/%252e%252e/plugin.json`, [403]],
  ["double-encoded slash", `${SITE}/..%252fplugin.json`, [403]],
  // @hono/node-server refuses a raw backslash in the path with 400 before any route runs.
  ["raw backslash", `${SITE}/..\\plugin.json`, [400, 403]],
  // The host refuses a NUL in any path with 400 CORRAL_E_BAD_REQUEST before routing (host/http/request-target.ts).
  ["NUL byte", `${SITE}/style.css%00.png`, [400]],
  ["absolute path", `${SITE}//etc/passwd`, [403]],
  ["dotfile", `${SITE}/.secret`, [404]],
  ["dot-folder", `${SITE}/.hidden/x.txt`, [404]],
  ["the manifest by name", `${SITE}/plugin.json`, [404]],
  ["symlink to /etc/passwd", `${SITE}/escape.txt`, [404]],
  ["symlink to the manifest", `${SITE}/manifest-link.json`, [404]],
  ["fingerprint of the manifest", `${SITE}/plugin.0badf00d.json`, [404]],
  ["dot segment before static", `/plugins/static-site/./static/style.css`, [403]],
];

for (const [what, path, statuses] of ATTACKS) {
  statics(`refused: ${what} -> ${statuses.join(" or ")}, and nothing from outside`, async ({ t }) => {
    const res = await raw(t, path);
    assert.ok(statuses.includes(res.status), `${path}: got ${res.status} ${res.body.toString().slice(0, 200)}`);
    const text = res.body.toString();
    for (const secret of OUTSIDE) assert.not.ok(text.includes(secret), `${path} leaked ${JSON.stringify(secret)}`);
    assert.not.ok(text.includes("from-plugin"), `${path} reached the plugin`);
    if (res.status !== 400) {
      const error = JSON.parse(text) as { error: { code: string } };
      assert.ok(["CORRAL_E_STATIC_REFUSED", "CORRAL_E_STATIC_NOT_FOUND", "CORRAL_E_PLUGIN_NOT_FOUND"].includes(error.error.code), text);
    }
  });
}

statics("the host's static folder overrides the plugin's file", async ({ t }) => {
  const res = await raw(t, `${SITE}/theme.css`);
  assert.is(res.status, 200);
  assert.is(res.body.toString(), "host override theme");
  const fingerprinted = await raw(t, `${SITE}/theme.${sha("host override theme").slice(0, 8)}.css`);
  assert.is(fingerprinted.status, 200);
  assert.is(fingerprinted.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.is((await raw(t, `${SITE}/theme.${sha("plugin theme\n").slice(0, 8)}.css`)).status, 404, "the plugin's own version is not served");
});

statics("compiled assets are served minified and bundled, under a fingerprinted URL", async ({ t }) => {
  const js = await raw(t, `${SITE}/app.js`);
  assert.is(js.status, 200);
  assert.is(js.headers["content-type"], "text/javascript; charset=utf-8");
  const code = js.body.toString();
  assert.ok(code.includes("Hello from the bundle, "), "greeting.ts is bundled in");
  assert.not.ok(code.includes("must not survive"), "comments are gone");
  assert.not.ok(code.includes("longDescriptiveMessageName"), "names are minified");
  assert.not.ok(code.includes("import"), "no imports left");
  const fingerprinted = await raw(t, `${SITE}/app.${sha(js.body).slice(0, 8)}.js`);
  assert.is(fingerprinted.status, 200);
  assert.is(fingerprinted.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.ok(fingerprinted.body.equals(js.body));
  const css = await raw(t, `${SITE}/site.css`);
  assert.is(css.body.toString().trim(), ".compiled-notes{color:red;margin:0}");
  const compiled = await readFile(join(ctx(t).dataDir, "assets/static-site/app.js"));
  assert.ok(compiled.equals(js.body), "written under <data dir>/assets/<plugin>/");
});

statics("a broken asset is reported with the plugin, file and line; the plugin still starts", async ({ t }) => {
  const record = t.logs.find((r) => r.plugin === "static-broken" && r.level === "error");
  assert.ok(record, "an error record for the plugin");
  assert.ok(record!.message.includes("asset build failed"), record!.message);
  assert.is(record!.fields?.code, "CORRAL_E_ASSET_BUILD");
  assert.match(String(record!.fields?.error), /plugin "static-broken": its assets could not be built: assets\/app\.ts:2:16: Unexpected ";"/);
  const health = await (await fetch(`${t.url}/health/plugins/static-broken`)).json() as { state: string };
  assert.is(health.state, "ready");
  assert.is(await (await fetch(`${t.url}/plugins/static-broken/`)).text(), "broken assets, working routes");
  assert.is((await raw(t, "/plugins/static-broken/static/app.js")).status, 404);
});

statics("static requests never reach the plugin process; other methods get 405", async ({ t }) => {
  const before = await pluginHits(t);
  await raw(t, `${SITE}/style.css`);
  await raw(t, `${SITE}/missing.css`);
  await raw(t, `${SITE}/../plugin.json`);
  await raw(t, `${SITE}/`);
  await raw(t, `${SITE}`);
  const post = await raw(t, `${SITE}/style.css`, {}, "POST");
  assert.is(post.status, 405);
  assert.is(post.headers["allow"], "GET, HEAD");
  assert.is((JSON.parse(post.body.toString()) as { error: { code: string } }).error.code, "CORRAL_E_METHOD_NOT_ALLOWED");
  assert.is(await pluginHits(t), before, "no request reached the plugin");
  // The counter does count what is forwarded: the proof above can fail.
  assert.is(await (await fetch(`${t.url}/plugins/static-site/other`)).text(), "from-plugin");
  assert.is(await pluginHits(t), before + 1);
});

statics("a missing file, a folder, and an unknown plugin are JSON 404s", async ({ t }) => {
  for (const [path, code] of [
    [`${SITE}/missing.css`, "CORRAL_E_STATIC_NOT_FOUND"],
    [`${SITE}/img/`, "CORRAL_E_STATIC_NOT_FOUND"],
    [`${SITE}/img`, "CORRAL_E_STATIC_NOT_FOUND"],
    [`${SITE}`, "CORRAL_E_STATIC_NOT_FOUND"],
    ["/plugins/nope/static/style.css", "CORRAL_E_PLUGIN_NOT_FOUND"],
  ] as const) {
    const res = await raw(t, path);
    assert.is(res.status, 404, path);
    assert.is((JSON.parse(res.body.toString()) as { error: { code: string } }).error.code, code, path);
  }
});

statics("a changed file is served at once with a new ETag and fingerprint", async ({ t }) => {
  const file = join(t.pluginsDir, "static-site/static/readme.txt");
  const before = await raw(t, `${SITE}/readme.txt`);
  await writeFile(file, "changed on disk");
  const after = await raw(t, `${SITE}/readme.txt`);
  assert.is(after.body.toString(), "changed on disk");
  assert.is.not(after.headers["etag"], before.headers["etag"]);
  assert.is((await raw(t, `${SITE}/readme.${sha("changed on disk").slice(0, 8)}.txt`)).status, 200);
  assert.is((await raw(t, `${SITE}/readme.${sha(before.body).slice(0, 8)}.txt`)).status, 404, "the old fingerprint is stale");
});

/** The host's data folder: startTestHost puts it beside the plugins folder. */
function ctx(t: TestHost): { dataDir: string } {
  return { dataDir: join(t.pluginsDir, "..", "data") };
}

statics.run();
