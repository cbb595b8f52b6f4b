/**
 * The markdown plugin's page: a form to write Markdown and its rendered preview, the way a
 * comment box or a wiki page would show what a user wrote. The preview is put into the page as
 * HTML (`raw`), which is safe only because `renderMarkdown` never emits a tag it did not build;
 * everything else (the source in the textarea, the error) is escaped by `html`.
 *
 * @module
 */

import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** The page, with `source` in the textarea and, once rendered, its preview or the error. */
export function markdownPage(
  csrfToken: string,
  source = "",
  outcome?: { readonly preview: string } | { readonly error: string },
): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Markdown preview</title></head>
<body>
<h1>Markdown preview</h1>
<form method="post" action="./">
  <input type="hidden" name="_csrf" value="${csrfToken}">
  <textarea name="markdown" rows="10" cols="80">${source}</textarea>
  <p><button type="submit">Preview</button></p>
</form>
${outcome === undefined ? "" : "error" in outcome
    ? html`<p class="error">${outcome.error}</p>`
    : html`<section class="preview">${raw(outcome.preview)}</section>`}
<p>As JSON: <code>POST /plugins/markdown/render</code> with <code>{"markdown": "..."}</code>.</p>
</body></html>`;
}
