/**
 * The admin API's authentication (host/http/admin/authenticate.ts): bootstrap token, API token,
 * session cookie, and the CSRF check on cookie-authenticated changes.
 */
import { Hono } from "hono";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { sessionCsrfToken } from "../../../../host/admin/secrets.ts";
import { createAuthenticate, SESSION_COOKIE } from "../../../../host/http/admin/authenticate.ts";
import type { AdminEnv } from "../../../../host/http/admin/router.ts";

const BOOTSTRAP = "b".repeat(43);
const authenticate = createAuthenticate({
  bootstrapToken: BOOTSTRAP,
  store: {
    principalForToken: async (token) => (token === "corral_good" ? { name: "token:ci (tok_1)", role: "operator" } : null),
    principalForSession: async (id) => (id === "session-1" ? { name: "ann", role: "viewer" } : null),
  },
});

/** One route answering who authenticate() found, or the CorralError it threw. */
const app = new Hono<AdminEnv>();
app.all("/who", async (c) => {
  try {
    const caller = await authenticate(c);
    return c.json(caller === null ? null : { name: caller.name, role: caller.role, via: caller.via });
  } catch (error) {
    return c.json({ refused: (error as { code: string }).code }, 403);
  }
});
const who = async (init: RequestInit) => (await app.request("/who", init)).json();

test("the bootstrap token is admin; an API token is its principal; anything else is nobody", async () => {
  assert.equal(await who({ headers: { authorization: `Bearer ${BOOTSTRAP}` } }), { name: "bootstrap", role: "admin", via: "bootstrap" });
  assert.equal(await who({ headers: { authorization: "bearer corral_good" } }), { name: "token:ci (tok_1)", role: "operator", via: "token" });
  assert.is(await who({ headers: { authorization: "Bearer corral_bad" } }), null);
  assert.is(await who({ headers: { authorization: `Basic ${BOOTSTRAP}` } }), null);
  assert.is(await who({}), null);
});

test("a bearer header wins over a cookie: a wrong token is not rescued by a session", async () => {
  assert.is(await who({ headers: { authorization: "Bearer corral_bad", cookie: `${SESSION_COOKIE}=session-1` } }), null);
});

test("a session cookie reads freely, but changes only with its CSRF token", async () => {
  const cookie = `${SESSION_COOKIE}=session-1`;
  assert.equal(await who({ headers: { cookie } }), { name: "ann", role: "viewer", via: "session" });
  assert.is(await who({ headers: { cookie: `${SESSION_COOKIE}=other` } }), null);
  assert.equal(await who({ method: "POST", headers: { cookie } }), { refused: "CORRAL_E_CSRF" });
  assert.equal(await who({ method: "POST", headers: { cookie, "x-csrf-token": sessionCsrfToken("session-2") } }), { refused: "CORRAL_E_CSRF" });
  assert.equal(await who({ method: "POST", headers: { cookie, "x-csrf-token": sessionCsrfToken("session-1") } }), { name: "ann", role: "viewer", via: "session" });
  const form = new URLSearchParams({ _csrf: sessionCsrfToken("session-1") }).toString();
  assert.equal(await who({ method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: form }),
    { name: "ann", role: "viewer", via: "session" });
});

test.run();
