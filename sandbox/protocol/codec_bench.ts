/**
 * What the protocol costs the runner per request: decode a `request`, encode its `response`
 * (`deno bench --config deno.json --no-prompt --no-remote sandbox/protocol/codec_bench.ts`).
 *
 * @module
 */

import type { RequestMessage, ResponseMessage } from "../../schemas/messages.ts";
import { decodeFrame, decodeWithCapnpEs, encodeFrame, encodeWithCapnpEs } from "./codec.ts";
import { decodeHeaders, encodeHeaders } from "./headers.ts";
import { toRequest } from "../http-bridge.ts";

// A typical browser POST: 10 headers and a 1 KB JSON body, about 1.3 KB on the wire.
const requestHeaders = new Headers({
  host: "example.com",
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
  accept: "application/json",
  "accept-language": "en-GB,en;q=0.9",
  "accept-encoding": "gzip, deflate, br",
  "content-type": "application/json",
  "content-length": "1024",
  cookie: "session=0123456789abcdef0123456789abcdef",
  "x-request-id": "6f1c0d1e-5a8b-4c1d-9e2f-3a4b5c6d7e8f",
  "x-forwarded-for": "203.0.113.7",
});
const body = new TextEncoder().encode(JSON.stringify({ text: "x".repeat(1000) }));
const request: RequestMessage = {
  type: "request",
  id: 7,
  method: "POST",
  url: "/notes?limit=5",
  headers: encodeHeaders(requestHeaders),
  body,
  remoteAddress: "203.0.113.7",
};
const requestBytes = encodeFrame(request);
const responseHeaders = new Headers({ "content-type": "application/json; charset=UTF-8", "x-request-id": "6f1c0d1e" });
const response: ResponseMessage = {
  type: "response",
  id: 7,
  status: 200,
  headers: encodeHeaders(responseHeaders),
  body,
};
const responseBytes = encodeFrame(response);

Deno.bench("runner side: decode request + headers, encode response + headers", { baseline: true }, () => {
  const frame = decodeFrame(requestBytes) as RequestMessage;
  decodeHeaders(frame.headers);
  encodeFrame({ type: "response", id: frame.id, status: 200, headers: encodeHeaders(responseHeaders), body });
});

Deno.bench("the whole bridge: decode request, build the Request, encode response", () => {
  const frame = decodeFrame(requestBytes) as RequestMessage;
  toRequest(frame);
  encodeFrame({ type: "response", id: frame.id, status: 200, headers: encodeHeaders(responseHeaders), body });
});

Deno.bench("new Request() alone, headers from a Headers object (what the bridge avoids)", () => {
  new Request("http://example.com/notes?limit=5", { method: "POST", headers: requestHeaders, body });
});

Deno.bench("decode request frame", () => {
  decodeFrame(requestBytes);
});

Deno.bench("encode response frame", () => {
  encodeFrame(response);
});

Deno.bench("decode + encode the same as JSON (reference)", () => {
  const parsed = JSON.parse(JSON.stringify({ ...request, body: "x".repeat(1000) }));
  JSON.stringify({ id: parsed.id, status: 200, headers: parsed.headers, body: "x".repeat(1000) });
});

Deno.bench("host side (for reference): encode request, decode response", () => {
  encodeFrame(request);
  decodeFrame(responseBytes);
});

Deno.bench("runner side through capnp-es only: decode request, encode response (what the fast path avoids)", () => {
  const frame = decodeWithCapnpEs(requestBytes) as RequestMessage;
  encodeWithCapnpEs({ type: "response", id: frame.id, status: 200, headers: response.headers, body });
});

Deno.bench("runner side through the fast path: decode request, encode response", () => {
  const frame = decodeFrame(requestBytes) as RequestMessage;
  encodeFrame({ type: "response", id: frame.id, status: 200, headers: response.headers, body });
});
