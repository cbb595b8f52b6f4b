// End to end: a plugin's `access` rules guard the static files the host serves for it, like its
// routes: refused (401 signed out, 403 without the role) before the file is read, under every
// spelling of the path (a fingerprinted name, encoded characters, dot segments, HEAD), with
// `private` caching when served; files no rule covers stay public. The plugin is never called.
import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FIXTURES, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { send } from "../helpers/http.ts";
import { copyPluginWith } from "../helpers/plugin-copy.ts";

const guarded = suite<{ t: TestHost; identity: string }>("route roles on static files");
const BASE = "/plugins/sd-private-static";
const VIEWER = { "x-std-user": "vi", "x-std-roles": "viewer" };
const ADMIN = { "x-std-user": "ada", "x-std-roles": "admin" };

guarded.before(async (ctx) => {
  // The stand-in identity provider (identity from headers), its hook widened to every plugin.
  ctx.identity = await copyPluginWith(join(FIXTURES, "std-identity"), (manifest) => {
    manifest.globalHooks.beforeRequest.paths = ["/plugins/"];
  });
  ctx.t = await startTestHost({
    plugins: [ctx.identity, "sd-private-static"],
    policy: { identity: { providers: ["std-identity"] } },
  });
});
guarded.after(async (ctx) => {
  await ctx.t.close();
  await rm(dirname(ctx.identity), { recursive: true, force: true });
});

const calls = async (t: TestHost) => (JSON.parse((await send(`${t.url}${BASE}/calls`)).text) as { calls: number }).calls;

guarded("a file no rule covers is public, cached as usual", async ({ t }) => {
  const res = await send(`${t.url}${BASE}/static/public.css`);
  assert.is(res.status, 200);
  assert.match(res.text, /teal/);
  assert.is(res.headers["cache-control"], "no-cache");
});

guarded("a guarded folder: 401 signed out, 403 for a viewer, the file for an admin (private), and the plugin never called", async ({ t }) => {
  const before = await calls(t);
  const path = `${t.url}${BASE}/static/private/secret.txt`;
  const signedOut = await send(path);
  assert.is(signedOut.status, 401);
  assert.is((JSON.parse(signedOut.text) as { error: { code: string } }).error.code, "CORRAL_E_ACCESS_UNAUTHENTICATED");
  const viewer = await send(path, { headers: VIEWER });
  assert.is(viewer.status, 403);
  assert.match(viewer.text, /CORRAL_E_ACCESS_FORBIDDEN/);
  assert.not.match(viewer.text, /launch codes/);
  assert.is((await send(path, { method: "HEAD", headers: VIEWER })).status, 403);

  const admin = await send(path, { headers: ADMIN });
  assert.is(admin.status, 200);
  assert.is(admin.text, "the launch codes\n");
  assert.is(admin.headers["cache-control"], "private, no-cache", "a shared cache must not keep it");
  const head = await send(path, { method: "HEAD", headers: ADMIN });
  assert.is(head.status, 200);
  assert.is(head.headers["content-length"], String("the launch codes\n".length));
  assert.is(await calls(t), before + 1, "only the /calls request reached the plugin");
});

guarded("other spellings of a guarded file are refused too", async ({ t }) => {
  for (const path of ["/static/%70rivate/secret.txt", "/static//private/secret.txt", "/static/private/./secret.txt", "/static/x/../private/secret.txt"]) {
    const res = await send(`${t.url}${BASE}${path}`, { headers: VIEWER });
    assert.ok(res.status === 403 || res.status === 404, `${path}: ${res.status}`);
    assert.not.match(res.text, /launch codes/, path);
  }
});

guarded("a rule naming one file guards its fingerprinted URL as well", async ({ t }) => {
  const bytes = await readFile(join(FIXTURES, "sd-private-static", "static", "report.txt"));
  const fingerprinted = `${t.url}${BASE}/static/report.${createHash("sha256").update(bytes).digest("hex").slice(0, 8)}.txt`;
  assert.is((await send(`${t.url}${BASE}/static/report.txt`, { headers: VIEWER })).status, 403);
  assert.is((await send(fingerprinted, { headers: VIEWER })).status, 403);
  const admin = await send(fingerprinted, { headers: ADMIN });
  assert.is(admin.status, 200);
  assert.is(admin.text, "quarterly report\n");
  assert.is(admin.headers["cache-control"], "private, max-age=31536000, immutable");
});

guarded.run();
