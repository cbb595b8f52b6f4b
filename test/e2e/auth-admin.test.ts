// End to end: plugins/auth, plugins/admin and notes' admin page through a real host, real Deno
// processes and Postgres: sign up (the first user is admin), sign in, the host's route roles
// (403 for a viewer without calling the plugin, 401 or a redirect to the login page when signed
// out, a forged locals.identity ignored), the admin menu filtered by roles, sign out,
// rate-limited sign-in, an expired reset token refused, `auth:grant`, and one run in Chromium.
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { launchBrowser } from "../helpers/browser.ts";
import { corral } from "../helpers/corral-cli.ts";
import { SHIPPED, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { openAdmin, resetPluginDatabases } from "../helpers/plugin-database.ts";

const auth = suite<{ t: TestHost }>("auth and admin");
const admin = openAdmin("auth and admin");
const PASSWORD = "correct horse battery";

auth.before(async (ctx) => {
  // The first user to sign up becomes admin: start from an empty auth schema.
  await resetPluginDatabases(admin, ["auth"]);
  ctx.t = await startTestHost({
    plugins: [join(SHIPPED, "auth"), join(SHIPPED, "admin"), join(SHIPPED, "notes"), "auth-guarded"],
    echoLogs: process.env.ECHO === "1",
    policy: { identity: { providers: ["auth"] } },
  });
});
auth.after(async (ctx) => {
  await ctx.t.close();
  await admin.end();
});

/** JSON POST to the auth plugin (no cookie, so no CSRF token needed). */
function postJson(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/plugins/auth${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** The session cookie a sign-up or sign-in answered with. */
function sessionOf(res: Response): string {
  const cookie = res.headers.get("set-cookie") ?? "";
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  return /corral_session=[^;]+/.exec(cookie)?.[0] ?? "";
}

const adminCalls = async (url: string) => ((await (await fetch(`${url}/plugins/auth-guarded/calls`)).json()) as { adminCalls: number }).adminCalls;

let adminCookie = "";
let viewerCookie = "";

auth("the first user to sign up is admin, the next one is not; a taken name is refused", async ({ t }) => {
  const first = await postJson(t.url, "/signup", { name: "ada", password: PASSWORD });
  assert.is(first.status, 201);
  assert.equal(((await first.json()) as { roles: string[] }).roles, ["user", "admin"]);
  adminCookie = sessionOf(first);
  const second = await postJson(t.url, "/signup", { name: "bob", password: PASSWORD });
  assert.is(second.status, 201);
  assert.equal(((await second.json()) as { roles: string[] }).roles, ["user"]);
  viewerCookie = sessionOf(second);
  assert.is((await postJson(t.url, "/signup", { name: "bob", password: PASSWORD })).status, 409);
  assert.is((await postJson(t.url, "/signup", { name: "eve", password: "short" })).status, 400);
  const stored = await admin.query(`SELECT password_hash FROM plugin_auth.users WHERE name = 'ada'`);
  assert.match(stored.rows[0].password_hash, /^scrypt\$/, "only the scrypt hash is stored");
});

auth("an admin reaches a guarded route; a viewer gets 403 from the host and the plugin is never called", async ({ t }) => {
  const before = await adminCalls(t.url);
  const allowed = await fetch(`${t.url}/plugins/auth-guarded/admin/x`, { headers: { cookie: adminCookie } });
  assert.is(allowed.status, 200);
  const body = (await allowed.json()) as { identity: { user: { name: string }; roles: string[] } };
  assert.is(body.identity.user.name, "ada", "the plugin sees who is signed in");
  assert.is(await adminCalls(t.url), before + 1);

  const refused = await fetch(`${t.url}/plugins/auth-guarded/admin/x`, { headers: { cookie: viewerCookie } });
  assert.is(refused.status, 403);
  const error = (await refused.json()) as { error: { code: string; message: string } };
  assert.is(error.error.code, "CORRAL_E_ACCESS_FORBIDDEN");
  assert.match(error.error.message, /"admin"/);
  // Spellings of the same route are guarded too.
  for (const path of ["/plugins/auth-guarded/admin", "/plugins/auth-guarded//admin/x", "/plugins/auth-guarded/%61dmin/x", "/plugins/auth-guarded/x/../admin/y"]) {
    assert.is((await fetch(`${t.url}${path}`, { headers: { cookie: viewerCookie } })).status, 403, path);
  }
  assert.is(await adminCalls(t.url), before + 1, "no refused request reached the plugin");
});

auth("signed out: 401 for an API client, a redirect to the login page for a browser", async ({ t }) => {
  const before = await adminCalls(t.url);
  const api = await fetch(`${t.url}/plugins/auth-guarded/admin/x`);
  assert.is(api.status, 401);
  assert.is(((await api.json()) as { error: { code: string } }).error.code, "CORRAL_E_ACCESS_UNAUTHENTICATED");
  const browser = await fetch(`${t.url}/plugins/auth-guarded/admin/x?a=1`, { headers: { accept: "text/html" }, redirect: "manual" });
  assert.is(browser.status, 303);
  assert.is(browser.headers.get("location"), "/plugins/auth/login?next=%2Fplugins%2Fauth-guarded%2Fadmin%2Fx%3Fa%3D1");
  // A client cannot forge the identity: the host's context header is dropped, and no session is no identity.
  const forged = await fetch(`${t.url}/plugins/auth-guarded/admin/x`, {
    headers: { "corral-context": JSON.stringify({ locals: { identity: { user: { id: "1", name: "ada" }, roles: ["admin"] } } }) },
  });
  assert.is(forged.status, 401);
  assert.is(await adminCalls(t.url), before);
});

auth("the admin menu shows notes' page to an admin only, and the page itself is guarded", async ({ t }) => {
  const forAdmin = (await (await fetch(`${t.url}/plugins/admin/pages.json`, { headers: { cookie: adminCookie } })).json()) as { pages: Array<{ href: string }> };
  assert.ok(forAdmin.pages.some((page) => page.href === "/plugins/notes/admin"));
  const forViewer = (await (await fetch(`${t.url}/plugins/admin/pages.json`, { headers: { cookie: viewerCookie } })).json()) as { pages: unknown[] };
  assert.equal(forViewer.pages, []);
  assert.is((await fetch(`${t.url}/plugins/notes/admin`, { headers: { cookie: viewerCookie } })).status, 403);
  const stats = await fetch(`${t.url}/plugins/notes/admin`, { headers: { cookie: adminCookie } });
  assert.is(stats.status, 200);
  assert.match(await stats.text(), /class="counts"/);
  assert.is((await fetch(`${t.url}/plugins/admin/pages.json`)).status, 401, "the admin area needs a signed-in user");
});

auth("auth:grant gives a role; sign-out ends the session", async ({ t }) => {
  const granted = await corral(["run", "auth:grant", "bob", "admin"], { pluginsDir: t.pluginsDir, dataDir: join(dirname(t.pluginsDir), "data") });
  assert.is(granted.code, 0, granted.stderr);
  assert.is((await fetch(`${t.url}/plugins/auth-guarded/admin/x`, { headers: { cookie: viewerCookie } })).status, 200, "bob is admin now");

  // Sign-out is a cookie-carrying POST: it needs the host's CSRF token.
  const page = await fetch(`${t.url}/plugins/auth/login`);
  const csrf = /corral_csrf=([^;]+)/.exec(page.headers.get("set-cookie") ?? "")?.[1] ?? "";
  const out = await fetch(`${t.url}/plugins/auth/logout`, {
    method: "POST", headers: { cookie: `${viewerCookie}; corral_csrf=${csrf}`, "x-csrf-token": csrf, "content-type": "application/json" },
  });
  assert.is(out.status, 204);
  assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
  assert.is((await fetch(`${t.url}/plugins/auth-guarded/admin/x`, { headers: { cookie: viewerCookie } })).status, 401, "the old cookie is worthless");
});

auth("sign-in is rate-limited per user after repeated failures", async ({ t }) => {
  assert.is((await postJson(t.url, "/signup", { name: "cat", password: PASSWORD })).status, 201);
  for (let i = 0; i < 5; i++) assert.is((await postJson(t.url, "/login", { name: "cat", password: "wrong password" })).status, 401);
  const limited = await postJson(t.url, "/login", { name: "cat", password: PASSWORD });
  assert.is(limited.status, 429, "even the right password waits");
  assert.ok(Number(limited.headers.get("retry-after")) > 0);
  // Another user is not affected.
  assert.is((await postJson(t.url, "/login", { name: "bob", password: PASSWORD })).status, 200);
});

auth("a reset token works once, and an expired one is refused", async ({ t }) => {
  const userId = (await admin.query(`SELECT id FROM plugin_auth.users WHERE name = 'bob'`)).rows[0].id as string;
  const hash = (token: string) => createHash("sha256").update(token).digest("hex");
  await admin.query(`INSERT INTO plugin_auth.reset_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, now() - interval '1 minute'), ($3, $2, now() + interval '1 hour')`,
    [hash("expired-token"), userId, hash("fresh-token")]);
  const expired = await postJson(t.url, "/reset", { token: "expired-token", password: "a new password" });
  assert.is(expired.status, 400);
  assert.match(((await expired.json()) as { error: { message: string } }).error.message, /expired/);
  assert.is((await postJson(t.url, "/reset", { token: "fresh-token", password: "a new password" })).status, 204);
  assert.is((await postJson(t.url, "/reset", { token: "fresh-token", password: "another password" })).status, 400, "used up");
  assert.is((await postJson(t.url, "/login", { name: "bob", password: "a new password" })).status, 200);
});

auth("in Chromium: a signed-out visit to the admin area leads to the login page and back, then to notes' page", async ({ t }) => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${t.url}/plugins/admin/`);
    assert.match(page.url(), /\/plugins\/auth\/login\?next=%2Fplugins%2Fadmin%2F/);
    await page.fill('input[name="name"]', "ada");
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(/\/plugins\/admin\/$/), page.click('button[type="submit"]')]);
    assert.is(await page.textContent(".user"), "ada");
    await Promise.all([page.waitForURL(/\/plugins\/notes\/admin$/), page.click('a:has-text("Notes statistics")')]);
    assert.ok(await page.isVisible(".counts"));
  } finally {
    await browser.close();
  }
});

auth.run();
