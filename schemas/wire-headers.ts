/**
 * The flat header encoding of the protocol: lower-case names and values alternating, each
 * followed by "\n". One string instead of a list of structs, because a struct per header made
 * encoding ~10x slower (DESIGN.md); HTTP forbids CR/LF inside names and values, so "\n" is safe.
 *
 * @module
 */

/** Header pairs in wire order; a name may repeat (set-cookie). */
export type HeaderPairs = Array<[name: string, value: string]>;

/**
 * Encodes header pairs. Names are lower-cased; a pair whose name or value holds "\n" or "\r" is
 * dropped, since it could not be a valid header and would corrupt the encoding.
 *
 * @example
 * ```ts
 * encodeHeaders([["Content-Type", "text/plain"]]); // "content-type\ntext/plain\n"
 * ```
 */
export function encodeHeaders(pairs: Iterable<readonly [string, string]>): string {
  let out = "";
  for (const [name, value] of pairs) {
    if (hasLineBreak(name) || hasLineBreak(value)) continue;
    out += name.toLowerCase() + "\n" + value + "\n";
  }
  return out;
}

/**
 * Decodes the flat encoding into pairs. A trailing name with no value is ignored.
 *
 * @example
 * ```ts
 * decodeHeaders("a\n1\nb\n2\n"); // [["a", "1"], ["b", "2"]]
 * ```
 */
export function decodeHeaders(flat: string): HeaderPairs {
  const pairs: HeaderPairs = [];
  let start = 0;
  for (;;) {
    const nameEnd = flat.indexOf("\n", start);
    if (nameEnd < 0) break;
    const valueEnd = flat.indexOf("\n", nameEnd + 1);
    if (valueEnd < 0) break;
    pairs.push([flat.slice(start, nameEnd), flat.slice(nameEnd + 1, valueEnd)]);
    start = valueEnd + 1;
  }
  return pairs;
}

function hasLineBreak(text: string): boolean {
  return text.includes("\n") || text.includes("\r");
}
