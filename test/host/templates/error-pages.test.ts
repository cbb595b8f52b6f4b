// The host's error pages: which template wins, what a page gets, and that JSON clients keep JSON.
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { ErrorPages } from "../../../host/templates/error-pages.ts";
import { memoryLogger } from "../../helpers/database.ts";

const pages = suite<{ dir: string }>("error pages");

pages.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), "corral-errpages-"));
  await mkdir(join(ctx.dir, "host", "errors"), { recursive: true });
  await mkdir(join(ctx.dir, "host", "plugins", "demo", "errors"), { recursive: true });
  await mkdir(join(ctx.dir, "demo", "templates", "errors"), { recursive: true });
  await mkdir(join(ctx.dir, "empty"), { recursive: true });
});
pages.after.each(async (ctx) => rm(ctx.dir, { recursive: true, force: true }));

const BROWSER = { headers: { accept: "text/html" } } as unknown as IncomingMessage;
const API = { headers: { accept: "application/json" } } as unknown as IncomingMessage;
const outgoing = (requestId?: string) => ({ getHeader: (name: string) => name === "x-request-id" ? requestId : undefined }) as unknown as ServerResponse;

function errorPages(dir: string, options: { shippedDir?: string } = {}) {
  const { logger, records } = memoryLogger();
  const plugins: Record<string, string> = { demo: join(dir, "demo") };
  const pages = new ErrorPages({ templatesDir: join(dir, "host"), pluginDir: (name) => plugins[name], log: logger, ...options });
  return { pages, records };
}

const failed = new CorralError(ErrorCode.PLUGIN_FAILED, 'plugin "demo" has failed and is not running: <init threw>');

pages("a JSON client gets the JSON error, untouched", async ({ dir }) => {
  const { pages } = errorPages(dir);
  const answer = await pages.respond(failed, API, outgoing(), "demo");
  assert.is(answer.status, 503);
  assert.is(answer.headers["content-type"], "application/json; charset=utf-8");
  assert.equal(JSON.parse(answer.body), { error: { code: ErrorCode.PLUGIN_FAILED, message: failed.message } });
});

pages("a browser gets the shipped page, escaped, with the JSON answer's status and headers", async ({ dir }) => {
  const { pages } = errorPages(dir);
  const answer = await pages.respond(failed, BROWSER, outgoing("req-7"), "demo");
  assert.is(answer.status, 503);
  assert.is(answer.headers["content-type"], "text/html; charset=utf-8");
  assert.is(answer.headers["retry-after"], "5");
  assert.is(answer.headers["cache-control"], "no-store");
  assert.match(answer.body, "<h1>Temporarily unavailable</h1>");
  assert.match(answer.body, "This part of the site (demo)");
  assert.match(answer.body, "&lt;init threw&gt;");
  assert.match(answer.body, "503 CORRAL_E_PLUGIN_FAILED · request req-7");
});

pages("the layers win in order: host per-plugin, plugin's own, host global, shipped; each with S.hbs before error.hbs", async ({ dir }) => {
  const { pages } = errorPages(dir);
  const render = async () => (await pages.respond(failed, BROWSER, outgoing(), "demo")).body;
  await writeFile(join(dir, "host", "errors", "error.hbs"), "host generic {{status}}");
  pages.invalidate();
  assert.is(await render(), "host generic 503");
  await writeFile(join(dir, "host", "errors", "503.hbs"), "host 503");
  pages.invalidate();
  assert.is(await render(), "host 503");
  await writeFile(join(dir, "demo", "templates", "errors", "error.hbs"), "plugin generic {{plugin}}");
  pages.invalidate();
  assert.is(await render(), "plugin generic demo", "the plugin's generic page beats the host's global 503 page");
  await writeFile(join(dir, "demo", "templates", "errors", "503.hbs"), "plugin 503");
  pages.invalidate();
  assert.is(await render(), "plugin 503");
  await writeFile(join(dir, "host", "plugins", "demo", "errors", "503.hbs"), "operator 503 for {{plugin}}");
  pages.invalidate();
  assert.is(await render(), "operator 503 for demo");
  assert.is((await pages.respond(failed, BROWSER, outgoing(), "other")).body, "host 503", "a plugin that is not installed has no layers of its own");
});

pages("the page chosen is cached until invalidate()", async ({ dir }) => {
  const { pages } = errorPages(dir);
  await writeFile(join(dir, "host", "errors", "503.hbs"), "v1");
  assert.is((await pages.respond(failed, BROWSER, outgoing())).body, "v1");
  await writeFile(join(dir, "host", "errors", "503.hbs"), "v2");
  assert.is((await pages.respond(failed, BROWSER, outgoing())).body, "v1");
  pages.invalidate();
  assert.is((await pages.respond(failed, BROWSER, outgoing())).body, "v2");
});

pages("a host fault is a 500 page with the generic message: never the error's message or stack", async ({ dir }) => {
  const { pages } = errorPages(dir);
  const fault = new TypeError("cannot read properties of undefined (reading 'secret')");
  const answer = await pages.respond(fault, BROWSER, outgoing());
  assert.is(answer.status, 500);
  assert.match(answer.body, "<h1>Something went wrong</h1>");
  assert.match(answer.body, "internal error in the Corral host; see the host log");
  assert.not.match(answer.body, "secret");
  assert.not.match(answer.body, /\n\s+at |\.ts:\d+/);
});

pages("a page that does not compile, or a plugin page outside the restricted language, is skipped and logged", async ({ dir }) => {
  const { pages, records } = errorPages(dir);
  await writeFile(join(dir, "host", "plugins", "demo", "errors", "503.hbs"), "{{#if}}broken");
  await writeFile(join(dir, "demo", "templates", "errors", "503.hbs"), "{{{message}}}");
  await writeFile(join(dir, "host", "errors", "503.hbs"), "host 503 {{message}}");
  assert.is((await pages.respond(failed, BROWSER, outgoing(), "demo")).body, "host 503 plugin &quot;demo&quot; has failed and is not running: &lt;init threw&gt;");
  const skipped = records.filter((r) => r.message === "error page skipped: it does not compile");
  assert.is(skipped.length, 2);
  assert.match(String(skipped[1]!.fields?.error), /unescaped output/);
});

pages("with no usable template at all, the built-in page answers", async ({ dir }) => {
  const { pages } = errorPages(dir, { shippedDir: join(dir, "empty") });
  const answer = await pages.respond(new CorralError(ErrorCode.PLUGIN_NOT_FOUND, "no plugin named \"<x>\""), BROWSER, outgoing());
  assert.is(answer.status, 404);
  assert.match(answer.body, "<h1>404 Not Found</h1><p>no plugin named &quot;&lt;x&gt;&quot;</p>");
});

pages.run();
