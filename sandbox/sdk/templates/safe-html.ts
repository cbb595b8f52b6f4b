/**
 * Escaping for helpers: `escapeHtml` for text, `safeHtml` to mark markup a helper built as already
 * safe, so Handlebars does not escape it a second time.
 *
 * @module
 */

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#x27;",
  "`": "&#x60;",
  "=": "&#x3D;",
};

/**
 * Escapes `text` for HTML text and quoted attributes, as `{{value}}` does (the same characters
 * as Handlebars: `& < > " ' \` =`).
 *
 * @example
 * ```ts
 * import { escapeHtml } from "@corral/sdk";
 *
 * escapeHtml('<a href="x">'); // "&lt;a href&#x3D;&quot;x&quot;&gt;"
 * ```
 */
export function escapeHtml(text: unknown): string {
  return String(text ?? "").replace(/[&<>"'`=]/g, (c) => ESCAPES[c]!);
}

/**
 * Markup that a template prints as it is. Made by {@linkcode safeHtml}.
 *
 * @example
 * ```ts
 * import { safeHtml, type SafeHtml } from "@corral/sdk";
 *
 * const bold: SafeHtml = safeHtml("<b>hi</b>");
 * ```
 */
export interface SafeHtml {
  /** The markup (Handlebars calls this instead of escaping). */
  toHTML(): string;
  toString(): string;
}

/**
 * Marks `html` as markup a helper built itself, so `{{helper}}` prints it unescaped. Escape every
 * value you put into it with {@linkcode escapeHtml}: anything else is an XSS hole.
 *
 * @example
 * ```ts
 * import { escapeHtml, safeHtml } from "@corral/sdk";
 *
 * // {{badge label}} -> <span class="badge">…</span>
 * const badge = (label: unknown) => safeHtml(`<span class="badge">${escapeHtml(label)}</span>`);
 * ```
 */
export function safeHtml(html: string): SafeHtml {
  const text = String(html);
  // Handlebars recognises safe strings by their toHTML() method.
  return Object.freeze({ toHTML: () => text, toString: () => text });
}
