/** Tests of the header encoding as the runner uses it. @module */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { encodeHeaders as sharedEncode } from "../../schemas/wire-headers.ts";
import { decodeHeaders, encodeHeaders } from "./headers.ts";

Deno.test("headers: encoding lower-cases names, joins repeats and keeps each set-cookie", () => {
  const headers = new Headers([["X-B", "1"], ["set-cookie", "a=1"], ["x-b", "2"], ["Set-Cookie", "b=2"], ["A", ""]]);
  strictEqual(encodeHeaders(headers), "a\n\nset-cookie\na=1\nset-cookie\nb=2\nx-b\n1, 2\n");
  strictEqual(encodeHeaders(new Headers()), "");
});

Deno.test("headers: the fast encoding is the shared encoding of the same Headers", () => {
  const headers = new Headers([["Content-Type", "text/plain"], ["set-cookie", "a=1"], ["set-cookie", "b=2"], [
    "x-name",
    "Zoë",
  ]]);
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => pairs.push([name, value]));
  strictEqual(encodeHeaders(headers), sharedEncode(pairs));
});

Deno.test("headers: decoding yields the pairs in order, repeats, empty and non-ASCII values included", () => {
  deepStrictEqual(decodeHeaders("host\nexample.com\nx\n\nx\n2\n"), [["host", "example.com"], ["x", ""], ["x", "2"]]);
  deepStrictEqual(decodeHeaders(encodeHeaders(new Headers({ "x-name": "Zoë" }))), [["x-name", "Zoë"]]);
  deepStrictEqual(decodeHeaders(""), []);
});
