// End to end: the admin API's access control through a real host and Postgres: users and API
// tokens stored hashed, each role allowed or refused, revoked tokens, the audit log (changes,
// refusals, logins, failed logins, never a secret), login rate limiting, dashboard sessions with
// their cookie flags and CSRF check, and a plugin's log records through /admin/plugins/:name/logs.
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { adminPool, requireDatabaseUrl } from "../helpers/database.ts";
import { eventually, startTestHost } from "../helpers/host.ts";
import { forgetManagerRows } from "../helpers/manager.ts";
import type { TestHost } from "../helpers/host.ts";

const admin = suite<{ t: TestHost; db: pg.Pool }>("admin API access");
/** Names no other run uses: the database is shared across runs. */
const run = randomBytes(3).toString("hex");
const userName = (label: string) => `adm-${label}-${run}`;
const PASSWORD = `correct horse ${run} battery`;

admin.before(async (ctx) => {
  ctx.db = adminPool(requireDatabaseUrl("admin API"));
  await forgetManagerRows(ctx.db, ["adm-hello"]);
  ctx.t = await startTestHost({ plugins: ["adm-hello"] });
});
admin.after(async (ctx) => {
  await ctx.db.query("delete from corral.admin_users where name like $1", [`adm-%-${run}`]);
  await ctx.db.query("delete from corral.admin_tokens where name like $1", [`%${run}%`]);
  await ctx.db.end();
  await ctx.t.close();
});

function call(t: TestHost, method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
  return fetch(`${t.url}/admin${path}`, {
    method,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function newToken(t: TestHost, role: string): Promise<string> {
  const res = await call(t, "POST", "/access/tokens", t.host.adminToken, { name: `${role} ${run}`, role });
  assert.is(res.status, 201, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

async function auditRows(db: pg.Pool, where: string, params: unknown[]): Promise<{ actor: string | null; role: string | null; action: string; plugin: string | null; details: Record<string, unknown>; status: number }[]> {
  return (await db.query(`select actor, role, action, plugin, details, status from corral.audit_log where ${where} order by id`, params)).rows;
}

admin("no credentials is 401; a wrong token is 401; the bootstrap token is admin", async ({ t }) => {
  const none = await call(t, "GET", "/plugins", undefined);
  assert.is(none.status, 401);
  assert.match(await none.text(), /CORRAL_E_ADMIN_AUTH/);
  assert.is((await call(t, "GET", "/plugins", "corral_" + "x".repeat(43))).status, 401);
  const me = await call(t, "GET", "/access/me", t.host.adminToken);
  assert.equal(await me.json(), { name: "bootstrap", role: "admin", via: "bootstrap", permissions: ["plugins.read", "observe.read", "plugins.operate", "plugins.manage", "access.manage"] });
});

admin("each role gets exactly its permissions; a refusal is 403 naming the permission", async ({ t }) => {
  const viewer = await newToken(t, "viewer");
  const operator = await newToken(t, "operator");
  const adminToken = await newToken(t, "admin");
  // plugins.read, observe.read, access.manage; plugins.operate/manage are covered by the router's unit test.
  for (const [token, role, allowed] of [[viewer, "viewer", false], [operator, "operator", false], [adminToken, "admin", true]] as const) {
    assert.is((await call(t, "GET", "/plugins", token)).status, 200, `${role} reads plugins`);
    assert.is((await call(t, "GET", "/plugins/adm-hello/logs", token)).status, 200, `${role} reads logs`);
    const users = await call(t, "GET", "/access/users", token);
    assert.is(users.status, allowed ? 200 : 403, `${role} and access.manage`);
    if (!allowed) {
      const body = await users.json() as { error: { code: string; message: string } };
      assert.is(body.error.code, "CORRAL_E_ADMIN_FORBIDDEN");
      assert.match(body.error.message, new RegExp(`the ${role} role, which lacks the "access.manage" permission`));
      assert.match(body.error.message, /roles with it: admin/);
    }
  }
});

admin("the manager's routes take their permissions from the router: an operator restarts, a viewer may not; both audited", async ({ t, db }) => {
  const viewer = await newToken(t, "viewer");
  const operator = await newToken(t, "operator");
  const refused = await call(t, "POST", "/plugins/adm-hello/restart", viewer);
  assert.is(refused.status, 403);
  assert.match(await refused.text(), /lacks the \\"plugins.operate\\" permission/);
  const restarted = await call(t, "POST", "/plugins/adm-hello/restart", operator);
  assert.is(restarted.status, 200, await restarted.clone().text());
  assert.is((await fetch(`${t.url}/plugins/adm-hello/`)).status, 200);
  const rows = await auditRows(db, "action = 'POST /admin/plugins/:name/restart' and actor like $1", [`token:% ${run} (%`]);
  assert.equal(rows.map((r) => [r.role, r.plugin, r.status]), [["viewer", "adm-hello", 403], ["operator", "adm-hello", 200]]);
});

admin("tokens and passwords are stored only as hashes; a revoked token stops working", async ({ t, db }) => {
  const res = await call(t, "POST", "/access/tokens", t.host.adminToken, { name: `hash check ${run}`, role: "operator", expiresInDays: 1 });
  const created = await res.json() as { id: string; token: string; role: string; expiresAt: string };
  assert.match(created.token, /^corral_[A-Za-z0-9_-]{43}$/);
  assert.is(created.role, "operator");
  const row = (await db.query("select * from corral.admin_tokens where id = $1", [created.id])).rows[0];
  assert.is(row.token_hash, createHash("sha256").update(created.token).digest("hex"));
  assert.not.ok(JSON.stringify(row).includes(created.token.slice(7)), "no column holds the token");
  const listed = await (await call(t, "GET", "/access/tokens", t.host.adminToken)).text();
  assert.not.ok(listed.includes(created.token.slice(7)), "the list never shows a token again");

  const name = userName("hash");
  const made = await call(t, "POST", "/access/users", t.host.adminToken, { name, role: "viewer", password: PASSWORD });
  assert.is(made.status, 201, await made.clone().text());
  const user = (await db.query("select * from corral.admin_users where name = $1", [name])).rows[0];
  assert.match(user.password_hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.not.ok(JSON.stringify(user).includes(PASSWORD));

  assert.is((await call(t, "GET", "/access/me", created.token)).status, 200);
  const used = (await db.query("select last_used_at from corral.admin_tokens where id = $1", [created.id])).rows[0];
  assert.ok(used.last_used_at instanceof Date, "last use recorded");
  assert.is((await call(t, "DELETE", `/access/tokens/${created.id}`, t.host.adminToken)).status, 200);
  assert.is((await call(t, "GET", "/access/me", created.token)).status, 401, "revoked");
});

admin("an expired token and an expired session are refused", async ({ t, db }) => {
  const res = await call(t, "POST", "/access/tokens", t.host.adminToken, { name: `expiry ${run}`, role: "viewer", expiresInDays: 1 });
  const created = await res.json() as { id: string; token: string };
  assert.is((await call(t, "GET", "/access/me", created.token)).status, 200);
  await db.query("update corral.admin_tokens set expires_at = now() - interval '1 second' where id = $1", [created.id]);
  assert.is((await call(t, "GET", "/access/me", created.token)).status, 401);
  const listed = await (await call(t, "GET", "/access/tokens", t.host.adminToken)).json() as { tokens: { id: string; status: string }[] };
  assert.is(listed.tokens.find((x) => x.id === created.id)?.status, "expired");

  const name = userName("expiry");
  await call(t, "POST", "/access/users", t.host.adminToken, { name, role: "viewer", password: PASSWORD });
  const session = /corral_admin_session=[^;]+/.exec((await login(t, name, PASSWORD)).headers.get("set-cookie") ?? "")![0];
  assert.is((await fetch(`${t.url}/admin/access/me`, { headers: { cookie: session } })).status, 200);
  await db.query("update corral.admin_sessions set expires_at = now() - interval '1 second' where user_name = $1", [name]);
  assert.is((await fetch(`${t.url}/admin/access/me`, { headers: { cookie: session } })).status, 401);
});

admin("bad input is refused by name: role, password, user name, duplicate user", async ({ t }) => {
  const expectError = async (body: unknown, status: number, pattern: RegExp) => {
    const res = await call(t, "POST", "/access/users", t.host.adminToken, body);
    assert.is(res.status, status);
    assert.match(await res.text(), pattern);
  };
  await expectError({ name: userName("bad"), role: "root", password: PASSWORD }, 400, /role must be one of admin, operator, viewer; got \\"root\\"/);
  await expectError({ name: userName("bad"), role: "viewer", password: "short" }, 400, /at least 10 characters, got 5/);
  await expectError({ name: "Bad Name", role: "viewer", password: PASSWORD }, 400, /user name is 1 to 63 characters/);
  await expectError({ name: "bootstrap", role: "viewer", password: PASSWORD }, 400, /bootstrap token's name/);
  const name = userName("dup");
  assert.is((await call(t, "POST", "/access/users", t.host.adminToken, { name, role: "viewer", password: PASSWORD })).status, 201);
  await expectError({ name, role: "viewer", password: PASSWORD }, 409, /exists/);
  const tokenRes = await call(t, "POST", "/access/tokens", t.host.adminToken, { name: "x", role: "viewer", owner: name });
  assert.is(tokenRes.status, 400);
  assert.match(await tokenRes.text(), /either a \\"role\\".*not both/);
});

admin("changes and refusals are audited with actor, role, route and outcome, never a secret", async ({ t, db }) => {
  const name = userName("audited");
  await call(t, "POST", "/access/users", t.host.adminToken, { name, role: "viewer", password: PASSWORD });
  await call(t, "POST", `/access/users/${name}/role`, t.host.adminToken, { role: "operator" });
  const viewer = await newToken(t, "viewer");
  await call(t, "DELETE", `/access/users/${name}`, viewer);
  const rows = await auditRows(db, "details->>'name' = $1 or action like '%/access/users/:name%' and details::text like $2", [name, `%${run}%`]);
  const created = rows.find((r) => r.action === "POST /admin/access/users" && r.details.name === name);
  assert.ok(created, "user creation audited");
  assert.equal([created!.actor, created!.role, created!.status], ["bootstrap", "admin", 201]);
  assert.is(created!.details.password, "[redacted]");
  const all = JSON.stringify(await auditRows(db, "at > now() - interval '5 minutes'", []));
  assert.not.ok(all.includes(PASSWORD), "no password in the audit log");
  assert.not.ok(all.includes(viewer.slice(7)), "no token in the audit log");

  const api = await call(t, "GET", `/audit?action=${encodeURIComponent("/access/users/:name")}&limit=50`, t.host.adminToken);
  const page = await api.json() as { entries: { action: string; actor: string | null; status: number; details: Record<string, unknown> }[] };
  assert.ok(page.entries.some((e) => e.action === "POST /admin/access/users/:name/role" && e.details.role === "operator" && e.status === 200));
  const refused = page.entries.find((e) => e.action === "DELETE /admin/access/users/:name" && e.status === 403);
  assert.ok(refused, "a refused change is audited too");
  assert.match(String(refused!.details.refused), /lacks the "access.manage" permission/);
  const bad = await call(t, "GET", "/audit?limit=0", t.host.adminToken);
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /\?limit= must be a whole number from 1 to 500, got \\"0\\"/);
});

admin("the audit API pages newest first", async ({ t }) => {
  for (let i = 0; i < 3; i++) await call(t, "POST", "/access/users", t.host.adminToken, { name: userName(`page${i}`), role: "viewer", password: PASSWORD });
  const first = await (await call(t, "GET", "/audit?limit=2&action=POST%20/admin/access/users", t.host.adminToken)).json() as { entries: { id: string }[]; next: string };
  assert.is(first.entries.length, 2);
  assert.ok(Number(first.entries[0]!.id) > Number(first.entries[1]!.id));
  const second = await (await call(t, "GET", `/audit?limit=2&action=POST%20/admin/access/users&before=${first.next}`, t.host.adminToken)).json() as { entries: { id: string }[] };
  assert.ok(Number(second.entries[0]!.id) < Number(first.entries[1]!.id));
});

/** Opens the login page: its CSRF cookie and field. */
async function loginForm(t: TestHost): Promise<{ cookie: string; token: string }> {
  const page = await fetch(`${t.url}/admin/ui/login`);
  assert.is(page.status, 200);
  const cookie = /corral_admin_login=[^;]+/.exec(page.headers.get("set-cookie") ?? "")?.[0] ?? "";
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  return { cookie, token };
}

async function login(t: TestHost, name: string, password: string): Promise<Response> {
  const form = await loginForm(t);
  return fetch(`${t.url}/admin/ui/login`, {
    method: "POST", redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: form.cookie, origin: t.url },
    body: new URLSearchParams({ name, password, _csrf: form.token }).toString(),
  });
}

admin("a login opens a session (HttpOnly, SameSite=Strict cookie); failed logins are audited and rate limited", async ({ t, db }) => {
  const name = userName("login");
  await call(t, "POST", "/access/users", t.host.adminToken, { name, role: "operator", password: PASSWORD });
  const wrong = await login(t, name, "not the password");
  assert.is(wrong.status, 401);
  assert.match(await wrong.text(), /Wrong user name or password/);
  const ok = await login(t, name, PASSWORD);
  assert.is(ok.status, 303);
  assert.is(ok.headers.get("location"), "/admin/ui/");
  const setCookie = ok.headers.get("set-cookie") ?? "";
  assert.match(setCookie, /corral_admin_session=[A-Za-z0-9_-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=28800/);
  assert.not.match(setCookie, /Secure/, "plain HTTP: no Secure flag");
  const session = /corral_admin_session=[^;]+/.exec(setCookie)![0];
  const me = await fetch(`${t.url}/admin/access/me`, { headers: { cookie: session } });
  assert.equal(await me.json(), { name, role: "operator", via: "session", permissions: ["plugins.read", "observe.read", "plugins.operate"] });
  const stored = (await db.query("select id_hash from corral.admin_sessions where user_name = $1", [name])).rows;
  assert.is(stored.length, 1);
  assert.is(stored[0].id_hash, createHash("sha256").update(session.split("=")[1]!).digest("hex"));

  // A cookie-authenticated change needs the session's CSRF token, and must not come from another site.
  const forged = await fetch(`${t.url}/admin/ui/logout`, { method: "POST", headers: { cookie: session }, redirect: "manual" });
  assert.is(forged.status, 403);
  assert.match(await forged.text(), /cross-site request forgery/);
  const page = await (await fetch(`${t.url}/admin/ui/`, { headers: { cookie: session } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  const crossSite = await fetch(`${t.url}/admin/ui/logout`, {
    method: "POST", headers: { cookie: session, "x-csrf-token": csrf, origin: "https://evil.example" }, redirect: "manual",
  });
  assert.is(crossSite.status, 403);
  assert.match(await crossSite.text(), /cross-site request forgery: its Origin &quot;https:\/\/evil\.example&quot; is not this host/);

  const rows = await auditRows(db, "actor = $1 and action = 'POST /admin/ui/login'", [name]);
  assert.equal(rows.map((r) => [r.status, r.details.outcome]), [[401, "failed: wrong user name or password"], [303, "signed in"]]);

  // The successful login cleared the earlier failure: five new ones lock the pair.
  for (let i = 0; i < 5; i++) assert.is((await login(t, name, "wrong again")).status, 401);
  const limited = await login(t, name, PASSWORD);
  assert.is(limited.status, 429, "five failures in the window: even the right password waits");
  assert.ok(Number(limited.headers.get("retry-after")) > 0);
  const limitedRows = await auditRows(db, "actor = $1 and status = 429", [name]);
  assert.is(limitedRows.length, 1);
});

admin("a login form from another site is refused", async ({ t }) => {
  const form = await loginForm(t);
  const res = await fetch(`${t.url}/admin/ui/login`, {
    method: "POST", redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: form.cookie, origin: "https://evil.example" },
    body: new URLSearchParams({ name: "x", password: "y", _csrf: form.token }).toString(),
  });
  assert.is(res.status, 403);
});

admin("a plugin's log records come back through /admin/plugins/:name/logs, filtered by level", async ({ t }) => {
  const marker = `boom ${run}`;
  assert.is((await fetch(`${t.url}/plugins/adm-hello/log/error`, { method: "POST", body: marker })).status, 200);
  await fetch(`${t.url}/plugins/adm-hello/log/info`, { method: "POST", body: `calm ${run}` });
  const errors = await eventually(async () => {
    const body = await (await call(t, "GET", "/plugins/adm-hello/logs?level=error&limit=10", t.host.adminToken)).json() as { records: { level: string; message: string }[] };
    return body.records.some((r) => r.message === marker) ? body.records : undefined;
  }, 5000, "the plugin's error record");
  assert.ok(errors.every((r) => r.level === "error"));
  const all = await (await call(t, "GET", "/plugins/adm-hello/logs?limit=500", t.host.adminToken)).json() as { records: { message: string }[] };
  assert.ok(all.records.some((r) => r.message === `calm ${run}`));
  const bad = await call(t, "GET", "/plugins/adm-hello/logs?level=loud", t.host.adminToken);
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /level= must be one of debug, info, warn, error/);
  assert.is((await call(t, "GET", "/plugins/nope/logs", t.host.adminToken)).status, 404);
});

admin.run();
