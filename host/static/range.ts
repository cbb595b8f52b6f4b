/**
 * Single byte ranges for static files (RFC 9110 §14): `Range: bytes=a-b`, `a-`, `-n`. Pure.
 * Several ranges in one request are answered with the whole file, which the RFC allows.
 */

/** Inclusive byte offsets. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The range to send for a `Range` header and a file of `size` bytes: a range, "unsatisfiable"
 * (answer 416), or undefined (no usable range: send the whole file).
 *
 * @example
 * ```ts
 * parseRange("bytes=0-99", 1000);  // { start: 0, end: 99 }
 * parseRange("bytes=-100", 1000);  // { start: 900, end: 999 }
 * parseRange("bytes=2000-", 1000); // "unsatisfiable"
 * ```
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return undefined; // another unit, several ranges, or garbage: ignore it
  const [, first, last] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return undefined; // invalid: ignore, per RFC 9110
  return { start, end };
}

/**
 * Whether `If-Range` allows the range: absent, equal to the current strong ETag, or exactly the
 * file's Last-Modified date. A weak ETag never matches (RFC 9110 §13.1.5).
 */
export function ifRangeAllows(ifRange: string | undefined, etag: string, lastModified: Date): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"')) return value === etag;
  if (value.startsWith("W/")) return false;
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(lastModified.getTime() / 1000) * 1000 === date;
}
