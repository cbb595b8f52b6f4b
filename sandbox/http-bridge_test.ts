/** Tests of request frame -> fetch Request. @module */

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { toRequest, toRequestAndContext } from "./http-bridge.ts";
import type { RequestMessage } from "../schemas/messages.ts";

const frame = (overrides: Partial<RequestMessage>): RequestMessage => ({
  type: "request",
  id: 1,
  method: "GET",
  url: "/",
  headers: "",
  body: new Uint8Array(0),
  remoteAddress: "127.0.0.1",
  ...overrides,
});

Deno.test("bridge: the URL is the Host header plus the url, headers and body carried over", async () => {
  const request = toRequest(frame({
    method: "POST",
    url: "/notes?limit=5",
    headers: "host\nexample.com:8080\ncontent-type\ntext/plain\n",
    body: new TextEncoder().encode("hi"),
  }));
  strictEqual(request.url, "http://example.com:8080/notes?limit=5");
  strictEqual(request.method, "POST");
  strictEqual(request.headers.get("content-type"), "text/plain");
  strictEqual(await request.text(), "hi");
});

Deno.test("bridge: a missing or unusable Host header falls back to plugin.local", () => {
  for (const host of ["", "user@evil.example", "a/b", "exa mple", "[::1"]) {
    const headers = host === "" ? "" : `host\n${host}\n`;
    strictEqual(new URL(toRequest(frame({ headers })).url).host, "plugin.local", JSON.stringify(host));
  }
  strictEqual(new URL(toRequest(frame({ headers: "host\n[::1]:8080\n" })).url).host, "[::1]:8080");
});

Deno.test("bridge: the frame's remoteAddress is the context's clientAddress, with or without a context header", () => {
  const context = '{"requestId":"r1","csrfToken":"t","locals":{"a":1}}';
  const withHeader = toRequestAndContext(frame({ headers: `corral-context\n${context}\n`, remoteAddress: "203.0.113.7" })).context;
  deepStrictEqual([withHeader.requestId, withHeader.clientAddress, withHeader.locals], ["r1", "203.0.113.7", { a: 1 }]);
  strictEqual(toRequestAndContext(frame({ remoteAddress: "::1" })).context.clientAddress, "::1");
  strictEqual(toRequestAndContext(frame({ remoteAddress: "" })).context.clientAddress, "");
});

Deno.test("bridge: the URL is https: exactly when the host's context says secure", () => {
  const withContext = (context: string) => toRequestAndContext(frame({ headers: `host\nexample.com\ncorral-context\n${context}\n` }));
  const secure = withContext('{"requestId":"r1","csrfToken":"","locals":{},"secure":true}');
  deepStrictEqual([secure.request.url, secure.context.secure], ["https://example.com/", true]);
  for (const context of ['{"requestId":"r1","csrfToken":"","locals":{}}', '{"secure":"true"}', '{"secure":1}', "not json"]) {
    const plain = withContext(context);
    deepStrictEqual([plain.request.url, plain.context.secure], ["http://example.com/", false], context);
  }
  // A client's own x-forwarded-proto is just a header: only the host's context decides.
  strictEqual(toRequest(frame({ headers: "x-forwarded-proto\nhttps\n" })).url, "http://plugin.local/");
});

Deno.test("bridge: GET and HEAD never carry a body; an empty body is no body", () => {
  for (const method of ["GET", "HEAD"]) {
    strictEqual(toRequest(frame({ method, body: new Uint8Array(3) })).body, null);
  }
  strictEqual(toRequest(frame({ method: "POST" })).body, null);
});

Deno.test("bridge: a url path that looks like an authority stays a path", () => {
  deepStrictEqual(new URL(toRequest(frame({ url: "//evil.example/x" })).url).host, "plugin.local");
});

Deno.test("bridge: malformed frames are refused with a TypeError that says why", () => {
  throws(() => toRequest(frame({ url: "notes" })), /must start with "\/", got "notes"/);
  throws(() => toRequest(frame({ method: "BAD METHOD" })), TypeError);
  throws(() => toRequest(frame({ headers: "bad name\nx\n" })), TypeError);
});
