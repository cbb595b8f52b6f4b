/**
 * The markdown plugin: renders Markdown to sanitised HTML, for clients and for other plugins. It
 * needs no permission at all: no network, no files, no database.
 *
 * - `GET /` a page with a form; `POST /` (the form) shows the rendered preview in the page.
 * - `POST /render` with `{ "markdown": "..." }` (JSON) or the Markdown itself (`text/markdown` or
 *   `text/plain`) answers `{ "html": "..." }`; a bad body is a 400 `{ error: { code, message } }`.
 * - Other plugins: declare the extension point `markdown.render` in their plugin.json
 *   (`"extensionPoints": { "markdown.render": {} }`) and gather it with `{ markdown }`; this plugin
 *   contributes `{ html }` (see docs/plugins/markdown.md).
 *
 * @module
 */

import { definePlugin, type PluginEnv } from "@corral/sdk";
import { Hono } from "hono";
import { markdownPage } from "./page.ts";
import { renderMarkdown } from "./render.ts";

const app = new Hono<PluginEnv>();

app.get("/", (c) => c.html(markdownPage(c.env.request.csrfToken)));

app.post("/", async (c) => {
  const form = await c.req.parseBody();
  const source = typeof form.markdown === "string" ? form.markdown : "";
  try {
    return c.html(markdownPage(c.env.request.csrfToken, source, { preview: renderMarkdown(source) }));
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return c.html(markdownPage(c.env.request.csrfToken, source, { error: error.message }), 400);
  }
});

app.post("/render", async (c) => {
  const type = c.req.header("content-type") ?? "";
  let markdown: unknown;
  if (/^application\/json\b/i.test(type)) {
    const body = await c.req.json().catch(() => undefined) as { markdown?: unknown } | undefined;
    markdown = body?.markdown;
  } else if (/^text\/(markdown|plain)\b/i.test(type)) {
    markdown = await c.req.text();
  } else {
    return c.json({ error: { code: "BAD_CONTENT_TYPE", message: `send application/json ({"markdown": "..."}) or text/markdown, not ${JSON.stringify(type || "nothing")}` } }, 415);
  }
  try {
    return c.json({ html: renderMarkdown(markdown) });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return c.json({ error: { code: "BAD_MARKDOWN", message: `${error.message}; send {"markdown": "..."}` } }, 400);
  }
});

export default definePlugin({
  app,
  contributions: {
    /** `{ markdown }` in, `{ html }` out; a bad argument is the contribution's error, seen by the gatherer. */
    "markdown.render": (args) => ({ html: renderMarkdown((args as { markdown?: unknown } | null)?.markdown) }),
  },
});
