// End to end: the notes plugin's HTML app through a real host, a real Deno process and a real
// Postgres: layout and partial, its own helpers, a context processor, a fingerprinted stylesheet,
// a CSRF-protected form, the notes.created event reaching hello, hello's box on notes' sidebar,
// and one run in headless Chromium that submits the form and sees the new note.
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { launchBrowser } from "../helpers/browser.ts";
import { SHIPPED, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

const notes = suite<{ t: TestHost }>("notes app");

notes.before(async (ctx) => {
  ctx.t = await startTestHost({ plugins: [join(SHIPPED, "notes"), join(SHIPPED, "hello")] });
});
notes.after(async (ctx) => {
  await ctx.t.close();
});

/** A unique title, so notes left by earlier runs in the shared database do not confuse a check. */
const unique = (label: string) => `${label} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** GETs the page as a browser would and returns its HTML, its CSRF cookie and the form's token. */
async function openPage(url: string, cookie?: string): Promise<{ html: string; cookie: string; token: string }> {
  const res = await fetch(`${url}/plugins/notes/`, { headers: { accept: "text/html", ...(cookie ? { cookie } : {}) } });
  assert.is(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/html/);
  const html = await res.text();
  const set = res.headers.get("set-cookie") ?? "";
  const jar = cookie ?? /corral_csrf=[^;]+/.exec(set)?.[0] ?? "";
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return { html, cookie: jar, token };
}

function postForm(url: string, fields: Record<string, string>, cookie: string): Promise<Response> {
  return fetch(`${url}/plugins/notes/`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: url, accept: "text/html" },
    body: new URLSearchParams(fields).toString(),
  });
}

notes("the page renders its layout, partial, helpers and context processor, and links a fingerprinted stylesheet", async ({ t }) => {
  const page = await openPage(t.url);
  assert.match(page.html, /<title>Notes · Notes<\/title>/, "layout + context processor (appName)");
  assert.match(page.html, /<footer>notes 1\.0\.0 · request [\w.:-]+<\/footer>/, "context processor values: version and request id");
  const css = /<link rel="stylesheet" href="(\/plugins\/notes\/static\/notes\.[0-9a-f]{8,}\.css)">/.exec(page.html)?.[1];
  assert.ok(css, "static_url gives a fingerprinted URL");
  const sheet = await fetch(`${t.url}${css}`);
  assert.is(sheet.status, 200);
  assert.match(sheet.headers.get("content-type") ?? "", /text\/css/);
  assert.is(sheet.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.match(await sheet.text(), /\.note \{/);
  assert.ok(page.cookie.startsWith("corral_csrf="), "the host set the CSRF cookie");
  assert.is(page.token, page.cookie.slice("corral_csrf=".length), "the form carries the request's CSRF token");
});

notes("a form post without the CSRF token is refused by the host and saves nothing", async ({ t }) => {
  const page = await openPage(t.url);
  const title = unique("forged");
  const res = await postForm(t.url, { title }, page.cookie);
  assert.is(res.status, 403);
  assert.match(await res.text(), /CORRAL_E_CSRF/);
  const after = await openPage(t.url, page.cookie);
  assert.not.ok(after.html.includes(title), "the refused note was not saved");
});

notes("a note posted with the token is saved, escaped on the page, announced to hello and shown in hello's box", async ({ t }) => {
  const page = await openPage(t.url);
  const title = unique("<script>alert('x')</script>");
  const res = await postForm(t.url, { title, body: "a \"quoted\" <b>body</b>", tags: "e2e, xss", _csrf: page.token }, page.cookie);
  assert.is(res.status, 303, await res.clone().text());
  const location = new URL(res.headers.get("location") ?? "", `${t.url}/plugins/notes/`);
  assert.is(location.pathname, "/plugins/notes/");
  assert.match(location.search, /^\?created=\d+$/);
  const after = await openPage(t.url, page.cookie);
  const escapedTitle = title.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("'", "&#x27;");
  assert.ok(after.html.includes(escapedTitle), "the title comes out escaped");
  assert.not.ok(after.html.includes("<script>alert("), "no raw script tag from the data");
  assert.ok(after.html.includes("&lt;b&gt;body&lt;/b&gt;"), "the body is escaped too");
  assert.match(after.html, /<span class="tag">xss<\/span>/);
  // The event reaches hello asynchronously: poll its record.
  let seen = false;
  for (let i = 0; i < 100 && !seen; i++) {
    const activity = await (await fetch(`${t.url}/plugins/hello/activity`)).json() as { recent: Array<{ title: string }> };
    seen = activity.recent.some((entry) => entry.title === title);
    if (!seen) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(seen, "hello received notes.created with the title");
  const latest = await openPage(t.url, page.cookie);
  assert.match(latest.html, /<div class="box" data-plugin="hello"><h3>Hello says<\/h3>/, "hello's contribution to notes.sidebar");
});

notes("a form post with an empty title is answered 422 with the message, and the form keeps what was typed", async ({ t }) => {
  const page = await openPage(t.url);
  const res = await postForm(t.url, { title: "", body: "kept text", _csrf: page.token }, page.cookie);
  assert.is(res.status, 422);
  const html = await res.text();
  assert.match(html, /<p class="error" role="alert">title is required<\/p>/);
  assert.match(html, /<textarea name="body" rows="4">kept text<\/textarea>/);
});

notes("in headless Chromium: load the page, submit the form, see the new note", async ({ t }) => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const response = await page.goto(`${t.url}/plugins/notes/`);
    assert.is(response?.status(), 200);
    const title = unique("From the browser");
    await page.fill('input[name="title"]', title);
    await page.fill('textarea[name="body"]', "typed in Chromium");
    await page.fill('input[name="tags"]', "browser");
    await Promise.all([page.waitForURL(/created=\d+/), page.click('button[type="submit"]')]);
    assert.match(await page.textContent(".created") ?? "", /Note \d+ saved\./);
    const first = page.locator(".note").filter({ hasText: title });
    assert.is(await first.count(), 1, "the new note is listed");
    assert.is(await first.locator("p").first().textContent(), "typed in Chromium");
    // The stylesheet applied: the note card has the background notes.css gives it.
    assert.is(await first.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor), "rgb(255, 255, 255)");
  } finally {
    await browser.close();
  }
});

notes.run();
