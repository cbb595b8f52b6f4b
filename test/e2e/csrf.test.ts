// End to end: the host's CSRF check on browser requests, before the plugin is asked.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { json, send } from "../helpers/http.ts";
import type { RawResponse } from "../helpers/http.ts";

const csrf = suite<{ t: TestHost; token: string }>("csrf");

csrf.before(async (ctx) => {
  ctx.t = await startTestHost({ plugins: ["mw-probe"] });
  // A browser's first visit: the page sets the cookie and renders the same token in its form.
  const page = await send(`${ctx.t.url}/plugins/mw-probe/page`);
  ctx.token = /corral_csrf=([A-Za-z0-9_-]{43})/.exec(String(page.headers["set-cookie"]))![1]!;
});
csrf.after(async (ctx) => {
  await ctx.t.close();
});

const submit = (t: TestHost) => `${t.url}/plugins/mw-probe/submit`;

async function postsSeen(t: TestHost): Promise<number> {
  const res = await send(`${t.url}/plugins/mw-probe/seen`);
  return json<{ seen: string[] }>(res).seen.filter((s) => /^(POST|PUT|PATCH|DELETE) \/submit$/.test(s)).length;
}

function assertRefused(res: RawResponse, reason: RegExp): void {
  assert.is(res.status, 403);
  const error = json<{ error: { code: string; message: string } }>(res).error;
  assert.is(error.code, "CORRAL_E_CSRF");
  assert.match(error.message, reason);
  assert.match(error.message, /x-csrf-token/);
  assert.match(error.message, /_csrf/);
  assert.match(error.message, /\/plugins\/mw-probe\/submit/);
}

csrf("an HTML page without the cookie sets it (HttpOnly, SameSite=Lax, Path=/) and renders the same token", async ({ t }) => {
  const page = await send(`${t.url}/plugins/mw-probe/page`);
  const cookie = String(page.headers["set-cookie"]);
  assert.match(cookie, /^corral_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
  const token = /corral_csrf=([^;]+)/.exec(cookie)![1]!;
  assert.ok(page.text.includes(`name="_csrf" value="${token}"`), page.text);
});

csrf("a page for a browser that has the cookie renders its token and sets no new cookie; JSON answers set none", async ({ t, token }) => {
  const page = await send(`${t.url}/plugins/mw-probe/page`, { headers: { cookie: `theme=dark; corral_csrf=${token}` } });
  assert.is(page.headers["set-cookie"], undefined);
  assert.ok(page.text.includes(`value="${token}"`));
  const api = await send(`${t.url}/plugins/mw-probe/json`);
  assert.is(api.headers["set-cookie"], undefined);
});

csrf("a POST with cookies and no token is refused with 403 CORRAL_E_CSRF and the plugin never sees it", async ({ t, token }) => {
  const before = await postsSeen(t);
  const res = await send(submit(t), { method: "POST", body: "a=1", headers: { cookie: `corral_csrf=${token}`, "content-type": "application/x-www-form-urlencoded" } });
  assertRefused(res, /no "x-csrf-token" header and no "_csrf" form field/);
  for (const method of ["PUT", "PATCH", "DELETE"]) {
    assertRefused(await send(submit(t), { method, headers: { cookie: `corral_csrf=${token}` } }), /no "x-csrf-token" header/);
  }
  assert.is(await postsSeen(t), before);
});

csrf("the right token in the x-csrf-token header is forwarded; a wrong one is refused", async ({ t, token }) => {
  const ok = await send(submit(t), { method: "POST", body: "{}", headers: { cookie: `corral_csrf=${token}`, "x-csrf-token": token, "content-type": "application/json" } });
  assert.is(ok.status, 200);
  assert.equal(json(ok), { accepted: true, bytes: 2 });
  const wrong = await send(submit(t), { method: "POST", headers: { cookie: `corral_csrf=${token}`, "x-csrf-token": "B".repeat(43) } });
  assertRefused(wrong, /header does not match/);
  const short = await send(submit(t), { method: "DELETE", headers: { cookie: `corral_csrf=${token}`, "x-csrf-token": "short" } });
  assertRefused(short, /header does not match/);
});

csrf("the right token in a urlencoded or multipart _csrf field is forwarded; a wrong one is refused", async ({ t, token }) => {
  const before = await postsSeen(t);
  const form = await send(submit(t), {
    method: "POST", body: `title=hi&_csrf=${token}`,
    headers: { cookie: `corral_csrf=${token}`, "content-type": "application/x-www-form-urlencoded" },
  });
  assert.is(form.status, 200);
  const multipart = new FormData();
  multipart.set("title", "hi");
  multipart.set("_csrf", token);
  const request = new Request("http://x/", { method: "POST", body: multipart });
  const body = new Uint8Array(await request.arrayBuffer());
  const mp = await send(submit(t), { method: "POST", body, headers: { cookie: `corral_csrf=${token}`, "content-type": request.headers.get("content-type")! } });
  assert.is(mp.status, 200);
  const wrong = await send(submit(t), {
    method: "POST", body: `_csrf=${"C".repeat(43)}`,
    headers: { cookie: `corral_csrf=${token}`, "content-type": "application/x-www-form-urlencoded" },
  });
  assertRefused(wrong, /"_csrf" form field does not match/);
  assert.is(await postsSeen(t), before + 2);
});

csrf("requests without cookies (API clients, bearer tokens) are forwarded without a token", async ({ t }) => {
  const res = await send(submit(t), { method: "POST", body: "{}", headers: { authorization: "Bearer abc", "content-type": "application/json" } });
  assert.is(res.status, 200);
  const plain = await send(submit(t), { method: "DELETE" });
  assert.is(plain.status, 200);
});

csrf("cookies without a valid corral_csrf cookie are refused, whatever token is sent", async ({ t, token }) => {
  assertRefused(await send(submit(t), { method: "POST", headers: { cookie: "session=1", "x-csrf-token": token } }), /no valid "corral_csrf" cookie/);
  assertRefused(await send(submit(t), { method: "POST", headers: { cookie: "corral_csrf=tooshort", "x-csrf-token": "tooshort" } }), /no valid "corral_csrf" cookie/);
  // Two different tokens (one set by a sibling domain): neither is trusted.
  const other = "D".repeat(43);
  assertRefused(await send(submit(t), { method: "POST", headers: { cookie: `corral_csrf=${other}; corral_csrf=${token}`, "x-csrf-token": token } }), /no valid "corral_csrf" cookie/);
});

csrf("a cross-site Origin or Sec-Fetch-Site is refused even with the right token; the same origin is not", async ({ t, token }) => {
  const headers = { cookie: `corral_csrf=${token}`, "x-csrf-token": token };
  assertRefused(await send(submit(t), { method: "POST", headers: { ...headers, origin: "https://evil.example" } }), /Origin "https:\/\/evil.example" is not this host/);
  assertRefused(await send(submit(t), { method: "POST", headers: { ...headers, "sec-fetch-site": "cross-site" } }), /Sec-Fetch-Site: cross-site/);
  const sameOrigin = await send(submit(t), { method: "POST", headers: { ...headers, origin: t.url, "sec-fetch-site": "same-origin" } });
  assert.is(sameOrigin.status, 200);
  // "Origin: null" (privacy settings, sandboxed frames) proves nothing: the token decides.
  assert.is((await send(submit(t), { method: "POST", headers: { ...headers, origin: "null" } })).status, 200);
  assertRefused(await send(submit(t), { method: "POST", headers: { cookie: `corral_csrf=${token}`, origin: "null" } }), /no "x-csrf-token"/);
});

csrf("safe methods and the admin API (bearer auth) are not checked", async ({ t, token }) => {
  const get = await send(`${t.url}/plugins/mw-probe/json`, { headers: { cookie: `corral_csrf=${token}`, origin: "https://evil.example" } });
  assert.is(get.status, 200);
  const admin = await send(`${t.url}/admin/plugins/no-such-plugin/migrations/latest`, {
    method: "POST", headers: { cookie: `corral_csrf=${token}`, authorization: `Bearer ${t.host.adminToken}` },
  });
  assert.is(json<{ error: { code: string } }>(admin).error.code, "CORRAL_E_PLUGIN_NOT_FOUND");
});

csrf.run();

const off = suite<{ t: TestHost }>("csrf turned off by the policy");

off.before(async (ctx) => {
  ctx.t = await startTestHost({ plugins: ["mw-probe"], policy: { http: { csrf: { enabled: false } } } });
});
off.after(async (ctx) => {
  await ctx.t.close();
});

off("with http.csrf.enabled false: no cookie, an empty token, and unsafe browser requests are forwarded", async ({ t }) => {
  const page = await send(`${t.url}/plugins/mw-probe/page`);
  assert.is(page.headers["set-cookie"], undefined);
  assert.ok(page.text.includes(`name="_csrf" value=""`));
  const res = await send(`${t.url}/plugins/mw-probe/submit`, { method: "POST", headers: { cookie: "session=1", origin: "https://evil.example" } });
  assert.is(res.status, 200);
});

off.run();
