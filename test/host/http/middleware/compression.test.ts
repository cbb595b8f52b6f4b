/** Tests for the choice of encoding and of compressible content types. */
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compress, isCompressible, preferredEncoding } from "../../../../host/http/middleware/compression.ts";

test("brotli is preferred, then gzip, among the encodings the client accepts", () => {
  assert.is(preferredEncoding("gzip, deflate, br"), "br");
  assert.is(preferredEncoding("gzip;q=1.0, br;q=0.1"), "br");
  assert.is(preferredEncoding("gzip"), "gzip");
  assert.is(preferredEncoding("x-gzip"), "gzip");
  assert.is(preferredEncoding("br;q=0, gzip"), "gzip");
  assert.is(preferredEncoding("BR"), "br");
  assert.is(preferredEncoding("*"), "br");
  assert.is(preferredEncoding("*;q=0, gzip"), "gzip");
  assert.is(preferredEncoding("*, br;q=0"), "gzip");
});

test("no encoding when the client accepts none the host makes", () => {
  assert.is(preferredEncoding(undefined), undefined);
  assert.is(preferredEncoding(""), undefined);
  assert.is(preferredEncoding("identity"), undefined);
  assert.is(preferredEncoding("deflate"), undefined);
  assert.is(preferredEncoding("gzip;q=0, br;q=0.000"), undefined);
  assert.is(preferredEncoding("*;q=0"), undefined);
});

test("text formats are compressible; media, archives and event streams are not", () => {
  for (const type of ["text/html; charset=utf-8", "text/css", "text/plain", "application/json", "application/javascript",
    "application/problem+json", "application/atom+xml", "image/svg+xml", "application/wasm", "font/ttf", "TEXT/HTML"]) {
    assert.ok(isCompressible(type), type);
  }
  for (const type of [undefined, "", "image/png", "image/jpeg", "font/woff2", "application/zip", "application/gzip",
    "application/octet-stream", "video/mp4", "text/event-stream", "application/jsonp-not"]) {
    assert.not.ok(isCompressible(type), String(type));
  }
});

test("compress() output decodes to the input, for both encodings", async () => {
  const body = new TextEncoder().encode("corral ".repeat(1000));
  assert.is(brotliDecompressSync(await compress(body, "br")).toString(), "corral ".repeat(1000));
  assert.is(gunzipSync(await compress(body, "gzip")).toString(), "corral ".repeat(1000));
});

test.run();
