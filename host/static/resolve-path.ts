/**
 * The pure decision "URL path under /plugins/<name>/static/ -> safe relative file path, or a
 * refusal with a reason". No disk access: the symlink check happens at serve time (lookup.ts).
 */
import { parseFingerprint } from "./fingerprint.ts";
import type { Fingerprint } from "./fingerprint.ts";

/** A path that may be looked up under a static root. */
export interface StaticPathOk {
  readonly ok: true;
  /** Decoded, "/"-separated, relative: "css/site.css". */
  readonly path: string;
  readonly segments: readonly string[];
  /** Set when the last segment has the form `<name>.<8 hex>.<ext>`; the original path and its hash. */
  readonly fingerprint?: Fingerprint;
}

/** A path that is never looked up. 403: the path's shape is hostile or malformed; 404: hidden. */
export interface StaticPathRefused {
  readonly ok: false;
  readonly status: 403 | 404;
  readonly reason: string;
}

export type StaticPath = StaticPathOk | StaticPathRefused;

/** Longest path accepted, in characters, and longest segment (Linux NAME_MAX is 255 bytes). */
const MAX_PATH = 1024;
const MAX_SEGMENT = 255;
/** The manifest is never served, wherever it sits (a `static` symlink to the plugin folder, say). */
const MANIFEST = "plugin.json";
// C0 controls, DEL: never in a file name we serve (NUL truncates paths in C APIs).
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Resolves the still percent-encoded remainder of a request path (what follows
 * `/plugins/<name>/static/`, without the query).
 *
 * Refused with 403: `..` and `.` segments, encoded separators (`%2f`, `%5c`), backslashes, NUL and
 * other control characters, absolute paths (`//etc/passwd`, `C:`), malformed or double
 * percent-encoding (`%252e`), empty segments, over-long paths. Refused with 404: dotfiles and
 * dot-folders, `plugin.json`, folders (an empty last segment).
 *
 * @example
 * ```ts
 * resolveRequestPath("css/site.3f2a9c1b.css");
 * // { ok: true, path: "css/site.3f2a9c1b.css", segments: ["css", "site.3f2a9c1b.css"],
 * //   fingerprint: { path: "css/site.css", hash: "3f2a9c1b" } }
 * resolveRequestPath("%2e%2e/plugin.json"); // { ok: false, status: 403, reason: "... traversal ..." }
 * ```
 */
export function resolveRequestPath(encoded: string): StaticPath {
  if (encoded.length > MAX_PATH) return refuse(403, `the path is longer than ${MAX_PATH} characters`);
  if (encoded.includes("\\")) return refuse(403, "the path contains a backslash");
  if (/%(2f|5c)/i.test(encoded)) return refuse(403, "the path contains an encoded separator (%2f or %5c)");
  const segments: string[] = [];
  for (const raw of encoded.split("/")) {
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      return refuse(403, `the segment ${JSON.stringify(raw)} is not valid percent-encoding`);
    }
  }
  return checkSegments(segments);
}

/**
 * Checks an already decoded relative path, as a template's `static_url("css/site.css")` names it.
 * The same rules as {@linkcode resolveRequestPath}; a leading "/" is allowed and dropped.
 */
export function resolveRelativePath(path: string): StaticPath {
  if (path.length > MAX_PATH) return refuse(403, `the path is longer than ${MAX_PATH} characters`);
  if (path.includes("\\")) return refuse(403, "the path contains a backslash");
  return checkSegments((path.startsWith("/") ? path.slice(1) : path).split("/"));
}

function checkSegments(segments: readonly string[]): StaticPath {
  if (segments.length === 1 && segments[0] === "") return refuse(404, "no file named; folders are not listed");
  if (segments[0] === "") return refuse(403, "the path is absolute");
  if (/^[A-Za-z]:$/.test(segments[0]!)) return refuse(403, "the path starts with a drive letter");
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    if (segment === "") return last ? refuse(404, "the path names a folder; folders are not listed") : refuse(403, "the path has an empty segment (//)");
    if (segment === ".." || segment === ".") return refuse(403, `the path has a "${segment}" segment (traversal)`);
    if (CONTROL.test(segment)) return refuse(403, "the path contains NUL or another control character");
    if (segment.includes("/") || segment.includes("\\")) return refuse(403, "the path contains an encoded separator");
    if (segment.includes("%")) return refuse(403, `the segment ${JSON.stringify(segment)} still holds "%" after decoding (double encoding)`);
    if (segment.length > MAX_SEGMENT) return refuse(403, `a segment is longer than ${MAX_SEGMENT} characters`);
    if (segment.startsWith(".")) return refuse(404, `dotfiles and dot-folders are never served (${JSON.stringify(segment)})`);
    if (segment.toLowerCase() === MANIFEST) return refuse(404, "the manifest (plugin.json) is never served");
  }
  const path = segments.join("/");
  const fingerprint = parseFingerprint(path);
  return fingerprint === undefined ? { ok: true, path, segments } : { ok: true, path, segments, fingerprint };
}

function refuse(status: 403 | 404, reason: string): StaticPathRefused {
  return { ok: false, status, reason };
}
