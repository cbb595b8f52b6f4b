/** The Content-Type of a static file from its name: Hono's MIME table, UTF-8 for text. */
import { getMimeType } from "hono/utils/mime";

const FALLBACK = "application/octet-stream";

/**
 * The content type for `path`; unknown extensions are `application/octet-stream`, so a browser
 * downloads rather than guesses (the host also sends `X-Content-Type-Options: nosniff`).
 *
 * @example
 * ```ts
 * contentTypeFor("css/site.css"); // "text/css; charset=utf-8"
 * contentTypeFor("img/logo.png"); // "image/png"
 * ```
 */
export function contentTypeFor(path: string): string {
  const type = getMimeType(path) ?? FALLBACK;
  // Hono adds the charset to most text types; make sure of it for every text/* one.
  return type.startsWith("text/") && !type.includes("charset") ? `${type}; charset=utf-8` : type;
}
