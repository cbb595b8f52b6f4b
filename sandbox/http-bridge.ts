/**
 * Turns a `request` frame into the fetch `Request` a plugin's Hono app receives.
 *
 * @module
 */

import type { RequestMessage } from "../schemas/messages.ts";
import { CONTEXT_HEADER, decodeRequestContext, type RequestContext } from "../schemas/request-context.ts";
import { decodeHeaders } from "./protocol/headers.ts";

/** The origin of a request whose Host header is missing or unusable. */
export const FALLBACK_HOST = "plugin.local";

/**
 * A host name or IP literal with an optional port, and nothing else: a Host header such as
 * "user@evil" or "a/b" would change the URL's meaning (or make `new Request` throw) when pasted
 * into it, so such a header falls back to {@linkcode FALLBACK_HOST} (the header itself is kept).
 */
const USABLE_HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * Builds `http://<host header or plugin.local><url>` (`https:` when the host's request context
 * says `secure`) with the frame's method, headers and body
 * (none for GET and HEAD, nor when it is empty). Headers go to `Request` as pairs: built from a
 * `Headers` object instead it costs three times as much (codec_bench.ts). Throws a `TypeError`
 * naming the problem when the frame cannot make a valid request (url not starting with "/", a
 * header name or value `Request` refuses, a bad method).
 */
export function toRequest(frame: RequestMessage): Request {
  return toRequestAndContext(frame).request;
}

/**
 * {@linkcode toRequest}, and the host's request context taken out of the headers (the app never
 * sees the raw `corral-context` header; it reads `c.env.request` instead), with the frame's
 * `remoteAddress` as its `clientAddress`.
 */
export function toRequestAndContext(frame: RequestMessage): { request: Request; context: RequestContext } {
  if (!frame.url.startsWith("/")) {
    throw new TypeError(`the request url must start with "/", got ${JSON.stringify(frame.url.slice(0, 100))}`);
  }
  const headers = decodeHeaders(frame.headers);
  let contextValue: string | undefined;
  // The host appends it last: searching from the end finds it at once.
  for (let i = headers.length - 1; i >= 0; i--) {
    if (headers[i]![0] === CONTEXT_HEADER) {
      contextValue = headers[i]![1];
      headers.splice(i, 1);
      break;
    }
  }
  let origin = FALLBACK_HOST;
  for (const [name, value] of headers) {
    if (name === "host") {
      if (USABLE_HOST.test(value)) origin = value;
      break;
    }
  }
  const method = frame.method;
  const body = method === "GET" || method === "HEAD" || frame.body.byteLength === 0
    ? null
    // A view into the buffer of this one frame, which the frame reader hands over and never reuses.
    : frame.body as Uint8Array<ArrayBuffer>;
  const context = decodeRequestContext(contextValue, frame.remoteAddress);
  // The host decided the scheme (a TLS socket, or a trusted proxy's X-Forwarded-Proto).
  const scheme = context.secure === true ? "https" : "http";
  return { request: new Request(`${scheme}://${origin}${frame.url}`, { method, headers, body }), context };
}
