// End to end: whether a request came over TLS, as the host decides it and tells plugins
// (c.env.request.secure, and the scheme of c.req.url), and the auth plugin's Secure cookie built
// on it. The host serves plain HTTP, so only a proxy the policy trusts can say "https"
// (X-Forwarded-Proto); 127.0.0.5 and 127.0.0.6 play those proxies, other loopback addresses
// play clients. auth's global hook is narrowed to its own paths here, so s2-scheme's requests
// take the host's path without hooks and auth's take the one with them: both carry the decision.
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SHIPPED, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { send } from "../helpers/http.ts";
import { copyPluginWith } from "../helpers/plugin-copy.ts";
import { openAdmin, resetPluginDatabases } from "../helpers/plugin-database.ts";

const scheme = suite<{ t: TestHost; auth: string }>("request scheme");
const admin = openAdmin("request scheme");
const PASSWORD = "correct horse battery";
const PROXY = "127.0.0.5";
const CLIENT = "127.0.0.30";

scheme.before(async (ctx) => {
  await resetPluginDatabases(admin, ["auth"]);
  ctx.auth = await copyPluginWith(join(SHIPPED, "auth"), (manifest) => {
    manifest.globalHooks.beforeRequest.paths = ["/plugins/auth/"];
  });
  ctx.t = await startTestHost({
    plugins: [ctx.auth, "s2-scheme"],
    policy: { identity: { providers: ["auth"] }, http: { trustedProxies: [PROXY, "127.0.0.6/32"] } },
  });
});
scheme.after(async (ctx) => {
  await ctx.t.close();
  await rm(dirname(ctx.auth), { recursive: true, force: true });
  await admin.end();
});

/** What s2-scheme's handler saw of a request from `from` with these headers. */
async function seen(t: TestHost, from: string, headers: Record<string, string> = {}) {
  const res = await send(`${t.url}/plugins/s2-scheme/`, { localAddress: from, headers });
  assert.is(res.status, 200, res.text);
  return JSON.parse(res.text) as { secure: boolean; protocol: string };
}

/** auth's Set-Cookie for a JSON sign-in (or sign-up) of `name` from `from`. */
async function sessionCookieFor(t: TestHost, path: "signup" | "login", from: string, name: string, headers: Record<string, string> = {}) {
  const res = await send(`${t.url}/plugins/auth/${path}`, {
    method: "POST", localAddress: from, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ name, password: PASSWORD }),
  });
  assert.is(res.status, path === "signup" ? 201 : 200, res.text);
  const cookie = [res.headers["set-cookie"] ?? []].flat().find((line) => line.startsWith("corral_session="));
  assert.ok(cookie !== undefined, `no session cookie in ${JSON.stringify(res.headers["set-cookie"])}`);
  return cookie;
}

const https = { "x-forwarded-proto": "https" };

scheme("plain HTTP is http; a client's own X-Forwarded-Proto is ignored", async ({ t }) => {
  assert.equal(await seen(t, CLIENT), { secure: false, protocol: "http:" });
  assert.equal(await seen(t, CLIENT, https), { secure: false, protocol: "http:" });
  assert.equal(await seen(t, CLIENT, { ...https, "x-forwarded-for": "198.51.100.1" }), { secure: false, protocol: "http:" });
});

scheme("a trusted proxy's X-Forwarded-Proto decides, for the entry of the client it forwarded for", async ({ t }) => {
  assert.equal(await seen(t, PROXY, { ...https, "x-forwarded-for": "198.51.100.1" }), { secure: true, protocol: "https:" });
  assert.equal(await seen(t, PROXY, https), { secure: true, protocol: "https:" }, "no X-Forwarded-For: the proxy speaks for its client");
  assert.equal(await seen(t, PROXY, { "x-forwarded-proto": "HTTPS" }), { secure: true, protocol: "https:" });
  assert.equal(await seen(t, PROXY, { "x-forwarded-proto": "http", "x-forwarded-for": "198.51.100.1" }), { secure: false, protocol: "http:" });
  assert.equal(await seen(t, PROXY), { secure: false, protocol: "http:" }, "a proxy that says nothing: the socket's scheme");
  // An appending proxy: the client wrote "https", the proxy appended the "http" it was reached by.
  assert.equal(await seen(t, PROXY, { "x-forwarded-proto": "https, http", "x-forwarded-for": "198.51.100.1" }), { secure: false, protocol: "http:" });
  // Two trusted proxies that both append: 127.0.0.6 was reached over https by 203.0.113.9.
  assert.equal(await seen(t, PROXY, { "x-forwarded-proto": "https, http", "x-forwarded-for": "203.0.113.9, 127.0.0.6" }), { secure: true, protocol: "https:" });
});

scheme("auth: the session cookie is Secure only when a trusted proxy says https", async ({ t }) => {
  const viaProxy = { ...https, "x-forwarded-for": "198.51.100.40" };
  assert.match(await sessionCookieFor(t, "signup", PROXY, "s2-ada", viaProxy), /; Secure$/, "sign-up through a TLS proxy");
  assert.match(await sessionCookieFor(t, "login", PROXY, "s2-ada", viaProxy), /; Secure$/, "sign-in through a TLS proxy");
  const plain = await sessionCookieFor(t, "login", CLIENT, "s2-ada");
  assert.not.match(plain, /Secure/, "plain HTTP");
  assert.match(plain, /HttpOnly; SameSite=Lax/);
  assert.not.match(await sessionCookieFor(t, "login", CLIENT, "s2-ada", https), /Secure/, "a client saying https itself");
  assert.not.match(await sessionCookieFor(t, "login", PROXY, "s2-ada", { "x-forwarded-proto": "http", "x-forwarded-for": "198.51.100.40" }), /Secure/,
    "a trusted proxy reached over plain HTTP");
});

scheme("auth: signing out clears the cookie with the same Secure flag", async ({ t }) => {
  const logout = (from: string, headers: Record<string, string>) => send(`${t.url}/plugins/auth/logout`, {
    method: "POST", localAddress: from, headers: { "content-type": "application/json", ...headers }, body: "{}",
  });
  const secureOut = await logout(PROXY, { ...https, "x-forwarded-for": "198.51.100.40" });
  assert.is(secureOut.status, 204, secureOut.text);
  assert.match(String(secureOut.headers["set-cookie"]), /Max-Age=0;.*; Secure/);
  const plainOut = await logout(CLIENT, https);
  assert.is(plainOut.status, 204, plainOut.text);
  assert.not.match(String(plainOut.headers["set-cookie"]), /Secure/);
});

scheme("the host's CSRF cookie is Secure when the request came over https, whatever secureCookie says", async ({ t }) => {
  const csrfCookie = async (from: string, headers: Record<string, string>) => {
    const res = await send(`${t.url}/plugins/s2-scheme/page`, { localAddress: from, headers });
    assert.is(res.status, 200, res.text);
    const cookie = [res.headers["set-cookie"] ?? []].flat().find((line) => line.startsWith("corral_csrf="));
    assert.ok(cookie !== undefined, `no CSRF cookie in ${JSON.stringify(res.headers["set-cookie"])}`);
    return cookie;
  };
  assert.match(await csrfCookie(PROXY, { ...https, "x-forwarded-for": "198.51.100.41" }), /; Secure$/, "through a TLS proxy");
  assert.not.match(await csrfCookie(CLIENT, {}), /Secure/, "plain HTTP");
  assert.not.match(await csrfCookie(CLIENT, https), /Secure/, "a client saying https itself");
});

scheme.run();
