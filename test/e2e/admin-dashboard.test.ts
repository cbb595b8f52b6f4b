// End to end: the dashboard at /admin/ui/ in headless Chromium against a real host, the real
// plugin manager and Postgres: sign in, see the plugins, disable one (its routes answer 503),
// enable it again (200), with the actions in the audit log; and what each role is shown.
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import type { Browser } from "playwright-core";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { launchBrowser } from "../helpers/browser.ts";
import { adminPool, requireDatabaseUrl } from "../helpers/database.ts";
import { eventually, FIXTURES, startTestHost } from "../helpers/host.ts";
import { forgetManagerRows } from "../helpers/manager.ts";
import type { TestHost } from "../helpers/host.ts";

const dashboard = suite<{ t: TestHost; db: pg.Pool; browser: Browser }>("admin dashboard");
const run = randomBytes(3).toString("hex");
const PASSWORD = `dashboard password ${run}`;
const users = { operator: `adm-op-${run}`, viewer: `adm-view-${run}`, admin: `adm-boss-${run}` } as const;

const FIXTURE_PLUGINS = ["adm-hello", "adm-needs-hello"];

dashboard.before(async (ctx) => {
  ctx.db = adminPool(requireDatabaseUrl("admin dashboard"));
  // Enabled, active version: what earlier runs decided is in the shared database; start clean.
  await forgetManagerRows(ctx.db, FIXTURE_PLUGINS);
  [ctx.t, ctx.browser] = await Promise.all([startTestHost({ plugins: FIXTURE_PLUGINS }), launchBrowser()]);
  for (const [role, name] of Object.entries(users)) {
    const res = await fetch(`${ctx.t.url}/admin/access/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${ctx.t.host.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name, role, password: PASSWORD }),
    });
    assert.is(res.status, 201, await res.text());
  }
});
dashboard.after(async (ctx) => {
  await ctx.db.query("delete from corral.admin_users where name = any($1)", [Object.values(users)]);
  await ctx.db.query("delete from corral.admin_tokens where name = $1", [`dash ${run}`]);
  await ctx.t.close();
  await forgetManagerRows(ctx.db, FIXTURE_PLUGINS);
  await ctx.db.end();
  await ctx.browser.close();
});

const pluginStatus = async (t: TestHost, name = "adm-hello") => (await fetch(`${t.url}/plugins/${name}/`)).status;

dashboard("an operator signs in, sees the plugins, disables one (503), enables it again (200)", async ({ t, browser, db }) => {
  assert.is(await pluginStatus(t), 200);
  assert.is(await pluginStatus(t, "adm-needs-hello"), 200);
  const page = await browser.newPage();
  try {
    await page.goto(`${t.url}/admin/ui/`);
    assert.match(page.url(), /\/admin\/ui\/login\?next=%2Fadmin%2Fui%2F$/, "not signed in: sent to the login page");
    await page.fill('input[name="name"]', users.operator);
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${t.url}/admin/ui/`), page.click('button[type="submit"]')]);
    assert.is(await page.textContent('[data-testid="caller"]'), `${users.operator} (operator)`);
    const row = page.locator('tr[data-plugin="adm-hello"]');
    assert.is(await row.locator('[data-testid="state"]').textContent(), "ready");
    assert.match(await row.textContent() ?? "", /1\.0\.0/);
    const grants = (t.host.health().plugins.find((p) => p.name === "adm-hello") as { grants: { memoryMb: number; timeoutMs: number } }).grants;
    assert.ok((await row.textContent() ?? "").includes(`${grants.memoryMb} MiB · ${grants.timeoutMs} ms`), "limits shown");

    await Promise.all([page.waitForURL(/\/admin\/ui\/plugins\/adm-hello$/), row.locator("a", { hasText: "adm-hello" }).click()]);
    assert.is(await page.locator("svg.chart").count(), 2, "request rate and latency charts");
    assert.is(await page.locator('[data-action="activate"]').count(), 0, "an operator cannot switch versions");

    // adm-needs-hello depends on it: the manager refuses, and the page offers the two choices.
    await Promise.all([page.waitForURL(/\/adm-hello\/disable$/), page.click('[data-action="disable"]')]);
    assert.match(await page.textContent('[role="alert"]') ?? "", /enabled plugins depend on it: "adm-needs-hello"/);
    assert.is(await pluginStatus(t), 200, "refused: still serving");
    await Promise.all([page.waitForURL(/done=disabled$/), page.click('[data-action="disable-with-dependents"]')]);
    assert.is(await page.textContent('h1 [data-testid="state"]'), "disabled");
    assert.match(await page.textContent('[role="status"]') ?? "", /"adm-hello": disabled\./);
    const off = await fetch(`${t.url}/plugins/adm-hello/`);
    assert.is(off.status, 503);
    assert.match(await off.text(), /CORRAL_E_PLUGIN_DISABLED/);
    assert.is(await pluginStatus(t, "adm-needs-hello"), 503, "its dependent went with it");

    await Promise.all([page.waitForURL(/done=enabled$/), page.click('[data-action="enable"]')]);
    assert.is(await eventually(async () => ((await pluginStatus(t)) === 200 ? 200 : undefined), 15_000, "adm-hello answering again"), 200);
    assert.is(await eventually(async () => ((await pluginStatus(t, "adm-needs-hello")) === 200 ? 200 : undefined), 15_000, "its dependent re-enabled"), 200);
    await page.reload();
    assert.is(await page.textContent('h1 [data-testid="state"]'), "ready");
  } finally {
    await page.close();
  }
  const rows = (await db.query(
    "select action, actor, role, plugin, status from corral.audit_log where actor = $1 order by id", [users.operator])).rows;
  assert.equal(rows.map((r) => [r.action, r.plugin, r.status]), [
    ["POST /admin/ui/login", null, 303],
    ["POST /admin/ui/plugins/:name/disable", "adm-hello", 409],
    ["POST /admin/ui/plugins/:name/disable", "adm-hello", 303],
    ["POST /admin/ui/plugins/:name/enable", "adm-hello", 303],
  ]);
});

/** Signs in without a browser; returns the session cookie. */
async function signIn(t: TestHost, name: string): Promise<string> {
  const form = await fetch(`${t.url}/admin/ui/login`);
  const cookie = /corral_admin_login=[^;]+/.exec(form.headers.get("set-cookie") ?? "")![0];
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${t.url}/admin/ui/login`, {
    method: "POST", redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: t.url },
    body: new URLSearchParams({ name, password: PASSWORD, _csrf: token }).toString(),
  });
  assert.is(res.status, 303);
  return /corral_admin_session=[^;]+/.exec(res.headers.get("set-cookie") ?? "")![0];
}

const pageFor = async (t: TestHost, cookie: string, path: string) => {
  const res = await fetch(`${t.url}/admin/ui${path}`, { headers: { cookie }, redirect: "manual" });
  return { status: res.status, html: await res.text() };
};

dashboard("a viewer sees no action buttons and is refused the actions and the access pages", async ({ t }) => {
  const cookie = await signIn(t, users.viewer);
  // A plugin's own text (here an error it logs) is escaped on the page.
  await fetch(`${t.url}/plugins/adm-hello/log/error`, { method: "POST", body: `<script>alert("${run}")</script>` });
  const list = await eventually(async () => {
    const got = await pageFor(t, cookie, "/");
    return got.html.includes(run) ? got : undefined;
  }, 5000, "the logged error on the plugins page");
  assert.is(list.status, 200);
  assert.ok(list.html.includes(`&lt;script&gt;alert(&quot;${run}&quot;)&lt;/script&gt;`), "escaped");
  assert.not.ok(list.html.includes(`<script>alert`), "never raw");
  assert.match(list.html, /data-plugin="adm-hello"/);
  assert.not.match(list.html, /data-action=/);
  assert.not.match(list.html, /href="\/admin\/ui\/access"/);
  const plugin = await pageFor(t, cookie, "/plugins/adm-hello");
  assert.not.match(plugin.html, /data-action=/);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(plugin.html)![1]!;
  const refused = await fetch(`${t.url}/admin/ui/plugins/adm-hello/disable`, {
    method: "POST", redirect: "manual",
    headers: { cookie, origin: t.url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf }).toString(),
  });
  assert.is(refused.status, 403);
  assert.match(await refused.text(), /lacks the &quot;plugins.operate&quot; permission/);
  assert.is(await pluginStatus(t), 200, "still enabled");
  assert.is((await pageFor(t, cookie, "/access")).status, 403);
});

dashboard("an admin switches a plugin's version from its page, and sees the access page and the audit log", async ({ t }) => {
  // A second version of adm-hello, installed through the manager's API.
  const folder = await mkdtemp(join(tmpdir(), "adm-hello-next-"));
  await cp(join(FIXTURES, "adm-hello"), folder, { recursive: true });
  const manifest = JSON.parse(await readFile(join(folder, "plugin.json"), "utf8"));
  await writeFile(join(folder, "plugin.json"), JSON.stringify({ ...manifest, version: "1.1.0" }));
  const installed = await fetch(`${t.url}/admin/plugins/install`, {
    method: "POST", headers: { authorization: `Bearer ${t.host.adminToken}`, "content-type": "application/json" }, body: JSON.stringify({ path: folder }),
  });
  await rm(folder, { recursive: true, force: true });
  assert.is(installed.status, 200, await installed.clone().text());

  const cookie = await signIn(t, users.admin);
  const plugin = await pageFor(t, cookie, "/plugins/adm-hello");
  assert.match(plugin.html, /<h2>Versions<\/h2>/);
  assert.match(plugin.html, /data-action="disable"/);
  assert.match(plugin.html, /Switch to 1\.1\.0/);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(plugin.html)![1]!;
  const switched = await fetch(`${t.url}/admin/ui/plugins/adm-hello/activate`, {
    method: "POST", redirect: "manual",
    headers: { cookie, origin: t.url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, version: "1.1.0" }).toString(),
  });
  assert.is(switched.status, 303, await switched.clone().text());
  assert.is(switched.headers.get("location"), "/admin/ui/plugins/adm-hello?done=activated");
  assert.is(await (await fetch(`${t.url}/plugins/adm-hello/`)).text(), "hello from adm-hello 1.1.0");

  const access = await pageFor(t, cookie, "/access");
  assert.is(access.status, 200);
  assert.match(access.html, new RegExp(`data-user="${users.viewer}"`));

  // Create a token from the access page: shown once, works, then revoked from the same page.
  const post = (path: string, fields: Record<string, string>) => fetch(`${t.url}/admin/ui${path}`, {
    method: "POST", redirect: "manual",
    headers: { cookie, origin: t.url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
  });
  const created = await post("/access/tokens", { name: `dash ${run}`, role: "viewer", owner: "", expiresInDays: "" });
  assert.is(created.status, 201);
  const shown = await created.text();
  const token = /data-testid="new-token">(corral_[A-Za-z0-9_-]{43})</.exec(shown)?.[1];
  assert.ok(token, "the new token is shown once");
  const bearer = { authorization: `Bearer ${token}` };
  assert.is((await fetch(`${t.url}/admin/access/me`, { headers: bearer })).status, 200);
  assert.not.ok((await pageFor(t, cookie, "/access")).html.includes(token!), "never shown again");
  const id = new RegExp(`<code>(tok_[0-9a-f]{16})</code></td><td>dash ${run}<`).exec(shown)?.[1];
  assert.ok(id, "listed by id");
  assert.is((await post(`/access/tokens/${id}/revoke`, {})).status, 303);
  assert.is((await fetch(`${t.url}/admin/access/me`, { headers: bearer })).status, 401);
  const audit = await pageFor(t, cookie, `/audit?actor=${users.admin}`);
  assert.is(audit.status, 200);
  assert.match(audit.html, /POST \/admin\/ui\/login/);
});

dashboard.run();
