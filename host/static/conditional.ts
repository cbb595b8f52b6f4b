/**
 * Conditional GET for static files (RFC 9110 §13): `If-None-Match` against the ETag, else
 * `If-Modified-Since` against Last-Modified. Pure.
 */

/** The request's validators, as sent. */
export interface Validators {
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
}

/**
 * The ETag of a file version: strong for the bytes as stored, weak for a compressed variant
 * (same content, other bytes), as nginx does. If-None-Match compares weakly, so both match.
 */
export function etagFor(hash: string, compressed: boolean): string {
  const tag = `"${hash.slice(0, 32)}"`;
  return compressed ? `W/${tag}` : tag;
}

/**
 * Whether the client's copy is current, so a 304 answers. `If-None-Match` wins when present
 * (then `If-Modified-Since` is ignored, as RFC 9110 says); an unparsable date counts as absent.
 *
 * @example
 * ```ts
 * isNotModified({ ifNoneMatch: 'W/"abc"' }, "abc…", mtime); // true when the hash starts with abc…
 * ```
 */
export function isNotModified(validators: Validators, hash: string, lastModified: Date): boolean {
  if (validators.ifNoneMatch !== undefined) {
    const current = etagFor(hash, false);
    return validators.ifNoneMatch.split(",").some((candidate) => {
      const tag = candidate.trim();
      return tag === "*" || tag === current || tag === `W/${current}`;
    });
  }
  if (validators.ifModifiedSince !== undefined) {
    const since = Date.parse(validators.ifModifiedSince);
    // HTTP dates have whole seconds; the file's mtime has milliseconds.
    return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
}
