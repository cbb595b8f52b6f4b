/** Tests of the markdown plugin: what must never survive rendering, the endpoint, the contribution. @module */

import { deepStrictEqual, doesNotMatch, match, strictEqual, throws } from "node:assert/strict";
import { testPlugin } from "@corral/sdk/testing";
import plugin from "./mod.ts";
import { MAX_MARKDOWN_LENGTH, renderMarkdown } from "./render.ts";

/** Markdown an attacker would write, each piece aimed at running script in the reader's page. */
const HOSTILE = [
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(2)>",
  '<a href="https://e.example" onclick="alert(3)">x</a>',
  "[click](javascript:alert(4))",
  "[click](JaVaScRiPt:alert(5))",
  "[click](  javascript%3Aalert(6))",
  "[click](jav&#x61;script:alert(12))",
  "<java\0script:alert(13)>",
  "![pic](javascript:alert(7))",
  "[v](vbscript:msgbox(8))",
  "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCg5KTwvc2NyaXB0Pg==)",
  "<svg onload=alert(10)>",
  '<div style="x" onmouseover="alert(11)">hover</div>',
].join("\n\n");

function assertSafe(html: string): void {
  doesNotMatch(html, /<script/i, "no script element");
  doesNotMatch(html, /<(img|a|svg|div)\b[^>]*\son[a-z]+\s*=/i, "no event-handler attribute on an element");
  // A scheme is what comes before the first ":" ("javascript%3A..." is a harmless relative path).
  doesNotMatch(html, /(href|src)\s*=\s*"\s*(javascript|vbscript|data)\s*:/i, "no script URL in a link or image");
  doesNotMatch(html, /<(svg|div)\b/i, "no raw HTML element");
}

Deno.test("markdown: scripts, event handlers and script URLs do not survive", () => {
  const html = renderMarkdown(HOSTILE);
  assertSafe(html);
  // What was written is still shown, as text.
  match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

Deno.test("markdown: ordinary Markdown renders, links get rel=nofollow ugc noopener", () => {
  const html = renderMarkdown("# Title\n\n**bold** and [a link](https://example.com/x?a=1&b=2)\n\n- one\n- two");
  match(html, /<h1>Title<\/h1>/);
  match(html, /<strong>bold<\/strong>/);
  match(html, /<a href="https:\/\/example\.com\/x\?a=1&amp;b=2" rel="nofollow ugc noopener">a link<\/a>/);
  match(html, /<li>two<\/li>/);
});

Deno.test("markdown: a non-string or oversized source is a TypeError that says what is allowed", () => {
  throws(() => renderMarkdown(42), /markdown must be a string, got number/);
  throws(() => renderMarkdown("x".repeat(MAX_MARKDOWN_LENGTH + 1)), /the most is 100000/);
});

Deno.test("markdown: POST /render answers JSON for a JSON body and for text/markdown", async () => {
  await using markdown = await testPlugin(plugin);
  const json = await markdown.fetch("/render", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ markdown: HOSTILE }) });
  strictEqual(json.status, 200);
  assertSafe((await json.json()).html);
  const text = await markdown.fetch("/render", { method: "POST", headers: { "content-type": "text/markdown" }, body: "*hi*" });
  deepStrictEqual(await text.json(), { html: "<p><em>hi</em></p>\n" });
});

Deno.test("markdown: a bad body is a 400 or 415 naming what to send", async () => {
  await using markdown = await testPlugin(plugin);
  const missing = await markdown.fetch("/render", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  strictEqual(missing.status, 400);
  strictEqual((await missing.json()).error.code, "BAD_MARKDOWN");
  const form = await markdown.fetch("/render", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=b" });
  strictEqual(form.status, 415);
});

Deno.test("markdown: the markdown.render contribution answers { html }", async () => {
  await using markdown = await testPlugin(plugin, { manifest: { contributes: ["markdown.render"] } });
  const value = await markdown.contribute("markdown.render", { markdown: "[x](javascript:alert(1)) **ok**" }) as { html: string };
  assertSafe(value.html);
  match(value.html, /<strong>ok<\/strong>/);
});

Deno.test("markdown: the page previews a form's source; neither the preview nor the textarea lets markup out", async () => {
  await using markdown = await testPlugin(plugin);
  const form = new URLSearchParams({ markdown: "**hi** <script>x()</script>\n\n</textarea><img src=x onerror=y()>" });
  const page = await markdown.fetch("/", { method: "POST", body: form, csrfToken: "t0k" });
  strictEqual(page.status, 200);
  const text = await page.text();
  match(text, /<section class="preview"><p><strong>hi<\/strong> &lt;script&gt;x\(\)&lt;\/script&gt;<\/p>/);
  match(text, /<textarea name="markdown" rows="10" cols="80">\*\*hi\*\* &lt;script&gt;/);
  doesNotMatch(text, /<script|<img|<\/textarea><img/);
  match(text, /name="_csrf" value="t0k"/);
  const empty = await markdown.fetch("/");
  doesNotMatch(await empty.text(), /class="preview"/);
});
