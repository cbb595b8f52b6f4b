/**
 * Fingerprinted file names: the content hash goes before the extension
 * ("css/site.css" -> "css/site.3f2a9c1b.css"), so a changed file gets a new URL. Pure.
 */

/** Hex characters of the content hash that go into a URL: 32 bits, ample against accidental matches. */
export const FINGERPRINT_LENGTH = 8;

/** A fingerprinted path taken apart. */
export interface Fingerprint {
  /** The path without the hash: "css/site.css". */
  readonly path: string;
  /** The hash as written in the URL (FINGERPRINT_LENGTH lowercase hex digits). */
  readonly hash: string;
}

// Lazy name, one optional extension without dots: the hash is always the last or second-to-last
// dot-part, so "a.3f2a9c1b.deadbeef" reads as "a.deadbeef" and "x.3f2a9c1b.min.js" is no fingerprint.
const FINGERPRINTED = new RegExp(`^(.+?)\\.([0-9a-f]{${FINGERPRINT_LENGTH}})(\\.[^.]+)?$`);

/**
 * `path` with `hash` (its first FINGERPRINT_LENGTH characters) before the last extension.
 *
 * @example
 * ```ts
 * fingerprintPath("css/site.css", "3f2a9c1b0d…"); // "css/site.3f2a9c1b.css"
 * fingerprintPath("LICENSE", "3f2a9c1b0d…");      // "LICENSE.3f2a9c1b"
 * ```
 */
export function fingerprintPath(path: string, hash: string): string {
  const short = hash.slice(0, FINGERPRINT_LENGTH);
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  // A dot in a folder name, or a leading dot, is not an extension.
  if (dot <= slash + 1) return `${path}.${short}`;
  return `${path.slice(0, dot)}.${short}${path.slice(dot)}`;
}

/** The original path and hash of a path that looks fingerprinted; undefined otherwise. */
export function parseFingerprint(path: string): Fingerprint | undefined {
  const slash = path.lastIndexOf("/");
  const match = FINGERPRINTED.exec(path.slice(slash + 1));
  if (match === null) return undefined;
  return { path: path.slice(0, slash + 1) + match[1] + (match[3] ?? ""), hash: match[2]! };
}
