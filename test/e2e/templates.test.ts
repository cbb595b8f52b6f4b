// End to end: templates rendered in the plugin's process from files the host serves, host
// overrides, cache invalidation on change, escaping, and the host's HTML error pages.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { eventually, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";

const templates = suite<{ t: TestHost; hostDir: string }>("templates");

const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
/** What a stack trace looks like in any form: never in a page. */
const STACK = /\n\s+at |\.ts:\d+|\.js:\d+|Error:/;

templates.before(async (ctx) => {
  ctx.hostDir = await mkdtemp(join(tmpdir(), "corral-templates-"));
  await mkdir(join(ctx.hostDir, "errors"), { recursive: true });
  await mkdir(join(ctx.hostDir, "plugins", "tpl-demo"), { recursive: true });
  await writeFile(join(ctx.hostDir, "errors", "404.hbs"), "<h1>host 404</h1><p>{{code}}: {{message}}</p>");
  await writeFile(join(ctx.hostDir, "plugins", "tpl-demo", "about.hbs"), "host about {{siteName}}");
  ctx.t = await startTestHost({
    plugins: ["tpl-demo", "tpl-failing", "broken-init"],
    templatesDir: ctx.hostDir,
    restart: { baseDelayMs: 50, maxDelayMs: 100, maxCrashes: 2, windowMs: 60_000 },
  });
});
templates.after(async (ctx) => {
  await ctx.t.close();
  await rm(ctx.hostDir, { recursive: true, force: true });
});

async function page(t: TestHost, path: string, headers: Record<string, string> = HTML): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${t.url}${path}`, { headers });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() };
}

/** Polls `path` until its body matches `pattern`. */
function eventuallyPage(t: TestHost, path: string, pattern: RegExp, what: string) {
  return eventually(async () => {
    const p = await page(t, path);
    return pattern.test(p.body) ? p : undefined;
  }, 10_000, what);
}

templates("a page renders in the plugin with its layout, partials, own helper and context processor", async ({ t }) => {
  const home = await page(t, "/plugins/tpl-demo/");
  assert.is(home.status, 200);
  assert.is(home.type, "text/html; charset=UTF-8");
  assert.match(home.body, "<title>Home · Demo</title>");
  assert.match(home.body, "<h1>HOME!</h1>");
  assert.match(home.body, '<li><span class="badge">one</span></li><li><span class="badge">two</span></li>');
  assert.match(home.body, '<a href="/plugins/tpl-demo/">home</a>');
  assert.match(home.body, '<a href="/plugins/tpl-demo/echo?v&#x3D;a%26b">echo</a>');
  assert.match(home.body, '<link rel="stylesheet" href="/plugins/tpl-demo/static/app.css">');
  assert.match(home.body, "footer-v1 processed=yes path=/plugins/tpl-demo/ method=GET");
});

templates("XSS payloads in template data come out escaped, in text and in attributes", async ({ t }) => {
  const payload = `"><script>alert(1)</script><img src=x onerror='alert(2)'>`;
  const echo = await page(t, `/plugins/tpl-demo/echo?v=${encodeURIComponent(payload)}`);
  assert.is(echo.status, 200);
  assert.not.match(echo.body, "<script>");
  assert.not.match(echo.body, "<img");
  const escaped = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src&#x3D;x onerror&#x3D;&#x27;alert(2)&#x27;&gt;";
  assert.is(echo.body.trim(), `<p title="${escaped}">${escaped}</p>`);
});

templates("csrf_field renders the token the plugin got with the request", async ({ t }) => {
  const form = await page(t, "/plugins/tpl-demo/form");
  const match = /<form method="post" action="\/plugins\/tpl-demo\/notes"><input type="hidden" name="_csrf" value="([^"]*)"><\/form><p>seen=([^<]*)<\/p>/.exec(form.body);
  assert.ok(match, form.body);
  assert.is(match![1], match![2], "the hidden field carries c.env.request.csrfToken");
});

templates("outside a request, a render has no request, token or user, and still gets its context processors", async ({ t }) => {
  const res = await fetch(`${t.url}/plugins/tpl-demo/mail`);
  assert.is((await res.text()).trim(), "Dear Ada, from Demo [][]");
});

templates("a missing template is a 500 without a stack, and the plugin's log names the template", async ({ t }) => {
  const missing = await page(t, "/plugins/tpl-demo/render/nope/page");
  assert.is(missing.status, 500);
  assert.not.match(missing.body, STACK);
  assert.not.match(missing.body, "nope");
  await eventually(() => t.logs.find((r) => /has no template "nope\/page\.hbs"/.test(r.message)), 5000, "the log record");
});

templates("a host override beats the plugin's file, and removing it falls back to the plugin's", async ({ t, hostDir }) => {
  assert.is((await page(t, "/plugins/tpl-demo/render/about")).body, "host about Demo");
  await rm(join(hostDir, "plugins", "tpl-demo", "about.hbs"));
  await eventuallyPage(t, "/plugins/tpl-demo/render/about", /^plugin about\n$/, "the plugin's about.hbs after the override went");
  // An override created while the host runs, for a partial, in a folder that did not exist.
  await mkdir(join(hostDir, "plugins", "tpl-demo", "partials"), { recursive: true });
  await writeFile(join(hostDir, "plugins", "tpl-demo", "partials", "footer.hbs"), "footer-override");
  await eventuallyPage(t, "/plugins/tpl-demo/", /<footer>footer-override<\/footer>/, "the footer override");
  await rm(join(hostDir, "plugins", "tpl-demo", "partials"), { recursive: true });
  await eventuallyPage(t, "/plugins/tpl-demo/", /<footer>footer-v1 /, "the plugin's footer again");
});

templates("a changed template file is picked up without a restart", async ({ t }) => {
  const pid = (await (await fetch(`${t.url}/health/plugins/tpl-demo`)).json() as { pid: number }).pid;
  assert.match((await page(t, "/plugins/tpl-demo/")).body, "footer-v1");
  await writeFile(join(t.pluginsDir, "tpl-demo", "templates", "partials", "footer.hbs"), "footer-v2 {{shout processed}}");
  await eventuallyPage(t, "/plugins/tpl-demo/", /<footer>footer-v2 YES!<\/footer>/, "the changed footer");
  await writeFile(join(t.pluginsDir, "tpl-demo", "templates", "home.hbs"), "{{#> layouts/base}}<h1>changed {{title}}</h1>{{/layouts/base}}");
  await eventuallyPage(t, "/plugins/tpl-demo/", /<h1>changed Home<\/h1>/, "the changed page");
  const after = (await (await fetch(`${t.url}/health/plugins/tpl-demo`)).json() as { pid: number }).pid;
  assert.is(after, pid, "same process: no restart");
});

templates("a template that is a symbolic link out of templates/, or a path with '..', is refused", async ({ t }) => {
  await symlink("/etc/passwd", join(t.pluginsDir, "tpl-demo", "templates", "leak.hbs"));
  const leak = await page(t, "/plugins/tpl-demo/render/leak");
  assert.is(leak.status, 500);
  assert.not.match(leak.body, "root:");
  await eventually(() => t.logs.find((r) => /"leak\.hbs" leads outside its templates folder/.test(r.message)), 5000, "the refusal in the log");
  const traversal = await page(t, "/plugins/tpl-demo/render/..%2F..%2Fetc%2Fpasswd");
  assert.is(traversal.status, 500);
  assert.not.match(traversal.body, "root:");
  await eventually(() => t.logs.find((r) => /is not a path inside templates\//.test(r.message)), 5000, "the refusal in the log");
});

async function failed(t: TestHost, name: string): Promise<void> {
  await eventually(async () => {
    const h = await (await fetch(`${t.url}/health/plugins/${name}`)).json() as { state: string };
    return h.state === "failed" ? true : undefined;
  }, 15_000, `${name} to be failed`);
}

templates("host error pages: a browser gets HTML for 404 (host override) and 503 (shipped), JSON clients keep JSON", async ({ t }) => {
  const notFound = await page(t, "/plugins/nope/<script>x</script>");
  assert.is(notFound.status, 404);
  assert.is(notFound.type, "text/html; charset=utf-8");
  assert.match(notFound.body, "<h1>host 404</h1><p>CORRAL_E_PLUGIN_NOT_FOUND: ");
  assert.not.match(notFound.body, "<script>");
  const outside = await page(t, "/nothing/here");
  assert.is(outside.status, 404);
  assert.match(outside.body, "<h1>host 404</h1>");

  await failed(t, "broken-init");
  const unavailable = await page(t, "/plugins/broken-init/");
  assert.is(unavailable.status, 503);
  assert.is(unavailable.type, "text/html; charset=utf-8");
  assert.match(unavailable.body, "<h1>Temporarily unavailable</h1>");
  assert.match(unavailable.body, "This part of the site (broken-init)");
  assert.match(unavailable.body, "CORRAL_E_PLUGIN_FAILED");
  assert.not.match(unavailable.body, STACK);

  for (const headers of [{} as Record<string, string>, { accept: "application/json" }, { accept: "*/*" }, { accept: "application/json, text/html;q=0.5" }]) {
    for (const path of ["/plugins/nope/", "/plugins/broken-init/"]) {
      const json = await page(t, path, headers);
      assert.is(json.type, "application/json; charset=utf-8", `${path} ${JSON.stringify(headers)}`);
      assert.ok((JSON.parse(json.body) as { error: { code: string } }).error.code.startsWith("CORRAL_E_"));
    }
  }
});

templates("a failed plugin's own 503 page is used, a page with forbidden constructs is skipped, the host's per-plugin page wins", async ({ t, hostDir }) => {
  await failed(t, "tpl-failing");
  const own = await page(t, "/plugins/tpl-failing/anything");
  assert.is(own.status, 503);
  // The host's request id appears once the middleware gives every request one.
  assert.match(own.body, /<h1>tpl-failing's own page<\/h1><p>CORRAL_E_PLUGIN_FAILED for tpl-failing \([\w-]+\): /);
  assert.not.match(own.body, STACK);

  const pluginPage = join(t.pluginsDir, "tpl-failing", "templates", "errors", "503.hbs");
  await writeFile(pluginPage, "<h1>sneaky</h1>{{{message}}}");
  await eventuallyPage(t, "/plugins/tpl-failing/", /<h1>Temporarily unavailable<\/h1>/, "the shipped page instead of the refused one");
  await eventually(() => t.logs.find((r) => /error page skipped/.test(r.message) && /\{\{\{ \}\}\} \(unescaped output\) is not allowed/.test(JSON.stringify(r))), 5000, "the warning");
  await writeFile(pluginPage, "<h1>partial</h1>{{> evil}}");
  await eventually(async () => {
    assert.match((await page(t, "/plugins/tpl-failing/")).body, "<h1>Temporarily unavailable</h1>");
    return t.logs.find((r) => /a partial is not allowed/.test(JSON.stringify(r)));
  }, 10_000, "the warning about the partial");

  await mkdir(join(hostDir, "plugins", "tpl-failing", "errors"), { recursive: true });
  await writeFile(join(hostDir, "plugins", "tpl-failing", "errors", "503.hbs"), "<h1>operator page for {{plugin}}</h1>");
  await eventuallyPage(t, "/plugins/tpl-failing/", /<h1>operator page for tpl-failing<\/h1>/, "the host's per-plugin page");
  await writeFile(join(hostDir, "errors", "503.hbs"), "<h1>operator page for everyone</h1>");
  await eventuallyPage(t, "/plugins/broken-init/", /<h1>operator page for everyone<\/h1>/, "the host's global 503 page");
  assert.match((await page(t, "/plugins/tpl-failing/")).body, "operator page for tpl-failing", "the per-plugin page still wins");
});

templates.run();
