/**
 * Writes a plugin's answer (fresh from its process, or from the response cache) to the client,
 * with what the host adds on the way: the cache's copy, compression, the request id, the secure
 * headers the plugin did not set itself, the CSRF cookie, and the Content-Length.
 */
import type { ServerResponse } from "node:http";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { CONTEXT_HEADER } from "../../../schemas/request-context.ts";
import { errorAnswer } from "../error-response.ts";
import { storableResponse } from "./cache-rules.ts";
import { compress, isCompressible, preferredEncoding } from "./compression.ts";
import type { Encoding } from "./compression.ts";
import { csrfCookie } from "./csrf.ts";
import type { Exchange } from "./exchange.ts";
import { REQUEST_ID_HEADER } from "./request-id.ts";
import type { CacheEntry } from "./response-cache.ts";

/** Response headers that describe the hop or that the host sets itself: never taken from a plugin. */
const RESPONSE_OWNED = new Set([
  "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
  "proxy-authorization", "proxy-authenticate", CONTEXT_HEADER, "content-length", "date",
  // The host's request id is the one the client and the access log know.
  REQUEST_ID_HEADER,
]);

/** Statuses whose body is never compressed: none, partial, or not modified. */
const NO_COMPRESSION = new Set([204, 206, 304]);

/**
 * The plugin's flat wire headers ("name\nvalue\n…") as a flat list for writeHead, without the
 * headers the host owns.
 */
export function pluginHeaderList(wire: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nameEnd = wire.indexOf("\n", start);
    if (nameEnd < 0) break;
    const valueEnd = wire.indexOf("\n", nameEnd + 1);
    if (valueEnd < 0) break;
    const name = wire.slice(start, nameEnd);
    if (!RESPONSE_OWNED.has(name)) out.push(name, wire.slice(nameEnd + 1, valueEnd));
    start = valueEnd + 1;
  }
  return out;
}

/** What the host needs to know about a response's own headers. */
interface Described {
  contentType: string | undefined;
  contentEncoding: boolean;
  cacheControl: string | undefined;
  vary: string | undefined;
  varyAt: number;
  age: string | undefined;
  ageAt: number;
  etagAt: number;
  setCookie: boolean;
  /** The host's secure headers the response sets itself. */
  own: Set<string> | undefined;
}

function describe(headers: readonly string[], exchange: Exchange): Described {
  const info: Described = {
    contentType: undefined, contentEncoding: false, cacheControl: undefined, vary: undefined, varyAt: -1,
    age: undefined, ageAt: -1, etagAt: -1, setCookie: false, own: undefined,
  };
  const secure = exchange.parts.secureHeaders;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    switch (name) {
      case "content-type": info.contentType = headers[i + 1]!.toLowerCase(); break;
      case "content-encoding": info.contentEncoding = true; break;
      case "cache-control": info.cacheControl = info.cacheControl === undefined ? headers[i + 1] : `${info.cacheControl}, ${headers[i + 1]}`; break;
      case "vary": info.vary = headers[i + 1]; info.varyAt = i; break;
      case "age": info.age = headers[i + 1]; info.ageAt = i; break;
      case "etag": info.etagAt = i; break;
      case "set-cookie": info.setCookie = true; break;
      default:
        if (secure.has(name)) (info.own ??= new Set()).add(name);
    }
  }
  return info;
}

/**
 * Sends a plugin's answer through the host's middleware. `entry` is the cache entry it comes
 * from, if any; a fresh answer that may be cached is stored as the plugin sent it (uncompressed,
 * without the host's headers).
 */
export async function sendPluginResponse(exchange: Exchange, status: number, headers: string[], body: Uint8Array, entry?: CacheEntry): Promise<void> {
  const { outgoing, incoming, parts } = exchange;
  const info = describe(headers, exchange);
  const isHead = incoming.method === "HEAD";
  const storable = entry === undefined && exchange.cache === "miss" && !isHead ? storableResponse(status, info) : undefined;
  // The cache keeps the plugin's own headers; a cache entry's list is shared. Either way: a copy.
  const out = entry === undefined && storable === undefined ? headers : headers.slice();
  let payload = body;
  let encoding: Encoding | undefined;
  const compression = parts.policy.compression;
  if (compression.enabled && !isHead && status >= 200 && !NO_COMPRESSION.has(status) && !info.contentEncoding &&
    body.byteLength >= compression.minBytes && isCompressible(info.contentType) && !/no-transform/i.test(info.cacheControl ?? "")) {
    // The answer now depends on Accept-Encoding, for every cache on the way.
    if (info.varyAt < 0) out.push("vary", "Accept-Encoding");
    else if (!/accept-encoding|\*/i.test(info.vary!)) out[info.varyAt + 1] = `${info.vary}, Accept-Encoding`;
    encoding = preferredEncoding(incoming.headers["accept-encoding"]);
    if (encoding !== undefined) {
      let encoded = entry?.encoded.get(encoding);
      if (encoded === undefined) {
        encoded = await compress(body, encoding);
        if (entry !== undefined) parts.cache.addEncoding(entry, encoding, encoded);
      }
      payload = encoded;
      out.push("content-encoding", encoding);
      // Another representation: a strong validator of the original would be a lie (RFC 9110 8.8.1).
      if (info.etagAt >= 0 && !out[info.etagAt + 1]!.startsWith("W/")) out[info.etagAt + 1] = "W/" + out[info.etagAt + 1];
    }
  }
  if (entry !== undefined) {
    // The age now counts the plugin's own Age (see ResponseCache.ageMs): it replaces it.
    const age = String(Math.floor(parts.cache.ageMs(entry) / 1000));
    if (info.ageAt < 0) out.push("age", age);
    else out[info.ageAt + 1] = age;
  }
  out.push(REQUEST_ID_HEADER, exchange.requestId);
  parts.secureHeaders.appendTo(out, info.own);
  if (exchange.csrfCookieDue && info.contentType !== undefined && info.contentType.startsWith("text/html")) {
    // Secure when this request came over https (TLS, or a trusted proxy said so), or always when the policy asks.
    out.push("set-cookie", csrfCookie(exchange.csrfToken, parts.policy.csrf.secureCookie || exchange.secure));
  }
  out.push("content-length", String(payload.byteLength));
  // Stored only once Node took its headers: an answer that cannot be sent is not kept either.
  if (writePluginResponse(outgoing, status, out, payload, exchange) && storable !== undefined) {
    const stored = parts.cache.store(exchange.plugin!, incoming.url ?? "/", incoming.headers, storable, { status, headers, body });
    if (stored !== undefined && encoding !== undefined) parts.cache.addEncoding(stored, encoding, payload as Buffer);
  }
}

/**
 * Writes status, headers and body; a status outside 200-599 becomes 502, and a header Node
 * refuses becomes a HANDLER_FAILED answer (then it returns false).
 */
export function writePluginResponse(outgoing: ServerResponse, status: number, headers: string[], body: Uint8Array, exchange?: Exchange): boolean {
  try {
    outgoing.writeHead(status >= 200 && status <= 599 ? status : 502, headers);
  } catch (error) {
    // A header Node refuses (bad characters) means a broken plugin answer, not a host failure.
    const answer = errorAnswer(new CorralError(ErrorCode.HANDLER_FAILED,
      `the plugin's response could not be sent: ${(error as Error).message}`));
    outgoing.writeHead(answer.status, exchange === undefined ? answer.headers : exchange.hostHeaders(answer.headers));
    outgoing.end(answer.body);
    return false;
  }
  outgoing.end(body);
  return true;
}
