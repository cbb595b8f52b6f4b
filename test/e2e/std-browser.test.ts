// In Chromium: every standard plugin with pages, through a real host, real Deno processes and
// Postgres. auth (sign up, sign in, an admin page, a viewer refused, sign out), the admin menu by
// role, monitoring for an operator, quotes escaping what its (loopback) upstream says, markdown
// sanitising what a user writes. The host's Content-Security-Policy is off here, so a script that
// got into a page would run: "it did not run" is checked by a page-side flag, and a control
// proves the flag would be set if markup got in.
import { createServer } from "node:http";
import type { Server } from "node:http";
import { rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { launchBrowser } from "../helpers/browser.ts";
import { corral } from "../helpers/corral-cli.ts";
import { SHIPPED, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { copyPluginWith } from "../helpers/plugin-copy.ts";
import { openAdmin, resetPluginDatabases } from "../helpers/plugin-database.ts";

interface Ctx { t: TestHost; browser: Browser; upstream: Server; quotes: string }
const browser = suite<Ctx>("standard plugins in Chromium");
const admin = openAdmin("std browser");
const PASSWORD = "correct horse battery";
/** What the quotes upstream says: markup that would set the flag if the page did not escape it. */
const HOSTILE_QUOTE = `Know <img src="x" onerror="window.__pwned='quotes'"> thyself.`;

browser.before(async (ctx) => {
  await resetPluginDatabases(admin, ["auth"]);
  ctx.upstream = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ text: HOSTILE_QUOTE, author: "<b>Delphi</b>" }));
  });
  await new Promise<void>((resolve, reject) => {
    ctx.upstream.once("error", reject);
    ctx.upstream.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (ctx.upstream.address() as AddressInfo).port;
  ctx.quotes = await copyPluginWith(join(SHIPPED, "quotes"), (manifest) => {
    manifest.permissions.net = [`127.0.0.1:${port}`];
    manifest.config = { ...manifest.config, upstreamUrl: `http://127.0.0.1:${port}` };
  });
  ctx.t = await startTestHost({
    plugins: ["auth", "admin", "notes", "monitoring", "markdown"].map((name) => join(SHIPPED, name)).concat(ctx.quotes),
    policy: {
      identity: { providers: ["auth"] },
      // The escaping and sanitising alone are tested, not the CSP behind them.
      http: { secureHeaders: { "content-security-policy": false } },
    },
  });
  ctx.browser = await launchBrowser();
});
browser.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.t.close();
  ctx.upstream.close();
  await rm(dirname(ctx.quotes), { recursive: true, force: true });
  await admin.end();
});

/** A fresh browser profile (no cookies) and a page in it. */
async function freshPage(ctx: Ctx): Promise<{ context: BrowserContext; page: Page }> {
  const context = await ctx.browser.newContext();
  return { context, page: await context.newPage() };
}

/** Fills and sends the sign-up form; lands on auth's "Signed in" page. */
async function signUp(page: Page, url: string, name: string): Promise<void> {
  await page.goto(`${url}/plugins/auth/signup`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(/\/plugins\/auth\/$/), page.click('button[type="submit"]')]);
  assert.is(await page.textContent(".user"), name);
}

/** Signs in through the login form the host redirects a signed-out browser to. */
async function signInFor(page: Page, url: string, target: string, name: string): Promise<void> {
  await page.goto(`${url}${target}`);
  assert.match(page.url(), /\/plugins\/auth\/login\?next=/, "the host sent the signed-out browser to the login page");
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname === target), page.click('button[type="submit"]')]);
}

/** The admin menu's entries, as the signed-in user of `page` sees them. */
async function menu(page: Page, url: string): Promise<string[]> {
  await page.goto(`${url}/plugins/admin/`);
  return await page.locator(".admin-menu a").allTextContents();
}

/** Proves the flag mechanism: with the CSP off, injected markup does run and set a flag. */
async function assertInjectionWouldShow(page: Page): Promise<void> {
  // Page-side code as strings: it runs in the browser, not in Node.
  await page.evaluate(`document.body.insertAdjacentHTML("beforeend", '<img src="x" onerror="window.__control = 1">')`);
  await page.waitForFunction("window.__control === 1");
}

const pwned = (page: Page) => page.evaluate("window.__pwned ?? null");

browser("auth: sign up (the first user is admin), reach admin pages, sign out, and the area is closed again", async (ctx) => {
  const { context, page } = await freshPage(ctx);
  try {
    await signUp(page, ctx.t.url, "ada");
    assert.is(await page.textContent(".roles"), "admin, user");
    assert.equal(await menu(page, ctx.t.url), ["Monitoring", "Notes statistics"]);
    await Promise.all([page.waitForURL(/\/plugins\/notes\/admin$/), page.click('a:has-text("Notes statistics")')]);
    assert.ok(await page.isVisible(".counts"));

    await page.goto(`${ctx.t.url}/plugins/auth/`);
    await Promise.all([page.waitForURL(/\/plugins\/auth\/login$/), page.click('button:has-text("Sign out")')]);
    await page.goto(`${ctx.t.url}/plugins/notes/admin`);
    assert.match(page.url(), /\/plugins\/auth\/login\?next=%2Fplugins%2Fnotes%2Fadmin/, "signed out: back to the login page");

    await signInFor(page, ctx.t.url, "/plugins/admin/", "ada");
    assert.is(await page.textContent(".user"), "ada");
  } finally {
    await context.close();
  }
});

browser("a viewer (role user) sees an empty admin menu and is refused admin and monitoring pages by the host", async (ctx) => {
  const { context, page } = await freshPage(ctx);
  try {
    await signUp(page, ctx.t.url, "bob");
    assert.equal(await menu(page, ctx.t.url), []);
    assert.ok(await page.isVisible(".empty"));
    for (const path of ["/plugins/notes/admin", "/plugins/monitoring/"]) {
      const response = await page.goto(`${ctx.t.url}${path}`);
      assert.is(response?.status(), 403, path);
      assert.match(await page.content(), /CORRAL_E_ACCESS_FORBIDDEN|only to the role/, path);
      assert.is(await page.locator("table, .counts").count(), 0, `${path} showed nothing of the page`);
    }
  } finally {
    await context.close();
  }
});

browser("an operator sees Monitoring (not the admins' pages) and every plugin's state on it", async (ctx) => {
  const { context, page } = await freshPage(ctx);
  try {
    await signUp(page, ctx.t.url, "olga");
    const granted = await corral(["run", "auth:grant", "olga", "operator"], { pluginsDir: ctx.t.pluginsDir, dataDir: join(dirname(ctx.t.pluginsDir), "data") });
    assert.is(granted.code, 0, granted.stderr);
    assert.equal(await menu(page, ctx.t.url), ["Monitoring"]);
    await Promise.all([page.waitForURL(/\/plugins\/monitoring\/$/), page.click('a:has-text("Monitoring")')]);
    assert.is(await page.textContent(".user"), "olga");
    for (const name of ["auth", "admin", "notes", "monitoring", "markdown", "quotes"]) {
      assert.is(await page.textContent(`tr[data-plugin="${name}"] .state`), "ready", name);
    }
    assert.is((await page.goto(`${ctx.t.url}/plugins/notes/admin`))?.status(), 403, "not an admin");
  } finally {
    await context.close();
  }
});

browser("quotes: the upstream's markup is shown as text, and its script does not run", async (ctx) => {
  const { context, page } = await freshPage(ctx);
  try {
    await page.goto(`${ctx.t.url}/plugins/quotes/?topic=wisdom`);
    assert.is(await page.textContent("blockquote.quote"), HOSTILE_QUOTE);
    assert.is(await page.textContent("figcaption.author"), "<b>Delphi</b>");
    assert.is(await page.locator("blockquote.quote img, figcaption b").count(), 0);
    await assertInjectionWouldShow(page);
    assert.is(await pwned(page), null);
  } finally {
    await context.close();
  }
});

browser("markdown: the preview renders Markdown, and scripts, handlers and javascript: links in it do nothing", async (ctx) => {
  const { context, page } = await freshPage(ctx);
  try {
    await page.goto(`${ctx.t.url}/plugins/markdown/`);
    const source = [
      "# Notes **bold**",
      `<script>window.__pwned = "script"</script>`,
      `<img src="x" onerror="window.__pwned = 'img'">`,
      "[click me](javascript:window.__pwned='link')",
      "</textarea><script>window.__pwned = 'textarea'</script>",
    ].join("\n\n");
    await page.fill('textarea[name="markdown"]', source);
    await Promise.all([page.waitForSelector(".preview"), page.click('button:has-text("Preview")')]);
    assert.is(await page.textContent(".preview h1 strong"), "bold");
    assert.match(await page.textContent(".preview") ?? "", /<script>window.__pwned = "script"<\/script>/);
    assert.is(await page.locator(".preview script, .preview img, .preview a").count(), 0);
    assert.is(await page.inputValue('textarea[name="markdown"]'), source, "the source comes back whole, as text");
    await page.click("text=click me");
    await assertInjectionWouldShow(page);
    assert.is(await pwned(page), null);
  } finally {
    await context.close();
  }
});

browser.run();
