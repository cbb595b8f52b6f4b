/**
 * Markdown to HTML that is safe to put in a page written by someone else: markdown-it with raw
 * HTML off (a `<script>` or `<img onerror>` in the source comes out as text), its link check on
 * (`javascript:`, `vbscript:`, `file:` and non-image `data:` URLs are not made into links or
 * images), and every link marked `rel="nofollow ugc noopener"`.
 *
 * Why no HTML sanitizer after it: with `html: false` the renderer never emits a tag it did not
 * build itself, so there is nothing to clean; a sanitizer would be a second parser to keep in step.
 *
 * @module
 */

// @ts-types="npm:@types/markdown-it@^14"
import MarkdownIt from "markdown-it";

/** The largest source accepted, in UTF-16 code units: Markdown is rendered in one go, in memory. */
export const MAX_MARKDOWN_LENGTH = 100_000;

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

// Links written by users point elsewhere: no ranking credit, no window.opener for the target.
const defaultLinkOpen = md.renderer.rules.link_open ??
  ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
md.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index].attrSet("rel", "nofollow ugc noopener");
  return defaultLinkOpen(tokens, index, options, env, self);
};

/**
 * Renders `markdown` to sanitised HTML.
 *
 * @throws TypeError when `markdown` is not a string or is longer than {@linkcode MAX_MARKDOWN_LENGTH}.
 *
 * @example
 * ```ts
 * renderMarkdown("**hi** <script>x</script>"); // "<p><strong>hi</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
 * ```
 */
export function renderMarkdown(markdown: unknown): string {
  if (typeof markdown !== "string") {
    throw new TypeError(`markdown must be a string, got ${markdown === null ? "null" : typeof markdown}`);
  }
  if (markdown.length > MAX_MARKDOWN_LENGTH) {
    throw new TypeError(`markdown is ${markdown.length} characters long; the most is ${MAX_MARKDOWN_LENGTH}`);
  }
  return md.render(markdown);
}
