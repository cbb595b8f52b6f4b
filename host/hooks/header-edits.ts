/**
 * Applies a global afterRequest hook's header edits to an answer's headers, which are kept as
 * Node's flat `[name, value, name, value...]` list. Pure.
 */
import type { HeaderEdits, HeaderPairs } from "../../schemas/global-hooks.ts";

/**
 * Response headers a hook can neither see nor change: the host sets them itself (length, date)
 * or they describe the connection, not the response.
 */
export const HOST_OWNED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  "content-length", "date", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
  "te", "trailer", "proxy-authenticate", "proxy-authorization",
]);

/** The `[name, value]` pairs of a flat list, names lower-cased, host-owned ones left out. */
export function visiblePairs(flat: readonly string[]): HeaderPairs {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    if (!HOST_OWNED_RESPONSE_HEADERS.has(name)) pairs.push([name, flat[i + 1]!]);
  }
  return pairs;
}

/**
 * Changes `flat` in place: every name in `edits.remove`, and every name `edits.set` sets, loses
 * its values; then `set`'s pairs are appended. Host-owned names are left alone. Returns the names
 * it refused, for the log.
 */
export function applyHeaderEdits(flat: string[], edits: HeaderEdits): string[] {
  const refused = new Set<string>();
  const cleared = new Set<string>();
  for (const name of [...edits.remove, ...edits.set.map(([name]) => name)]) {
    if (HOST_OWNED_RESPONSE_HEADERS.has(name)) refused.add(name);
    else cleared.add(name);
  }
  if (cleared.size > 0) {
    let kept = 0;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (cleared.has(flat[i]!.toLowerCase())) continue;
      flat[kept++] = flat[i]!;
      flat[kept++] = flat[i + 1]!;
    }
    flat.length = kept;
  }
  for (const [name, value] of edits.set) if (!refused.has(name)) flat.push(name, value);
  return [...refused];
}
