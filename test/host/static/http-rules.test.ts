/** Tests for the pure HTTP rules of static files: fingerprints, conditional requests, encodings, content types. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { negotiateEncoding, isCompressible } from "../../../host/static/compression.ts";
import { etagFor, isNotModified } from "../../../host/static/conditional.ts";
import { contentTypeFor } from "../../../host/static/content-type.ts";
import { fingerprintPath, parseFingerprint } from "../../../host/static/fingerprint.ts";
import { assetOutputPath } from "../../../host/static/build-assets.ts";
import { ifRangeAllows, parseRange } from "../../../host/static/range.ts";

const HASH = "3f2a9c1b0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

test("the hash goes before the last extension, and parses back", () => {
  const cases: Array<[string, string]> = [
    ["site.css", "site.3f2a9c1b.css"],
    ["css/site.css", "css/site.3f2a9c1b.css"],
    ["app.min.js", "app.min.3f2a9c1b.js"],
    ["LICENSE", "LICENSE.3f2a9c1b"],
    ["v1.2/notes", "v1.2/notes.3f2a9c1b"],
    ["data.deadbeef", "data.3f2a9c1b.deadbeef"],
    ["font.woff2", "font.3f2a9c1b.woff2"],
  ];
  for (const [path, fingerprinted] of cases) {
    assert.is(fingerprintPath(path, HASH), fingerprinted);
    assert.equal(parseFingerprint(fingerprinted), { path, hash: "3f2a9c1b" }, fingerprinted);
  }
});

test("names that are not fingerprints parse as none", () => {
  for (const name of ["site.css", "app.min.js", "site.3F2A9C1B.css", "site.3f2a9c1.css", "site.3f2a9c1bz.css", "x.3f2a9c1b.min.js"]) {
    assert.is(parseFingerprint(name), undefined, name);
  }
});

test("If-None-Match matches the current ETag, strong or weak, in a list, or *", () => {
  const mtime = new Date("2026-01-01T00:00:00Z");
  const strong = etagFor(HASH, false);
  assert.is(strong, `"${HASH.slice(0, 32)}"`);
  assert.is(etagFor(HASH, true), `W/${strong}`);
  assert.ok(isNotModified({ ifNoneMatch: strong }, HASH, mtime));
  assert.ok(isNotModified({ ifNoneMatch: `W/${strong}` }, HASH, mtime));
  assert.ok(isNotModified({ ifNoneMatch: `"other", ${strong}` }, HASH, mtime));
  assert.ok(isNotModified({ ifNoneMatch: "*" }, HASH, mtime));
  assert.not.ok(isNotModified({ ifNoneMatch: `"other"` }, HASH, mtime));
  // If-None-Match wins: a stale tag is not rescued by a date.
  assert.not.ok(isNotModified({ ifNoneMatch: `"other"`, ifModifiedSince: mtime.toUTCString() }, HASH, mtime));
});

test("If-Modified-Since compares whole seconds; a bad date is ignored", () => {
  const mtime = new Date("2026-01-01T00:00:00.750Z");
  assert.ok(isNotModified({ ifModifiedSince: "Thu, 01 Jan 2026 00:00:00 GMT" }, HASH, mtime));
  assert.ok(isNotModified({ ifModifiedSince: "Fri, 02 Jan 2026 00:00:00 GMT" }, HASH, mtime));
  assert.not.ok(isNotModified({ ifModifiedSince: "Wed, 31 Dec 2025 23:59:59 GMT" }, HASH, mtime));
  assert.not.ok(isNotModified({ ifModifiedSince: "yesterday" }, HASH, mtime));
  assert.not.ok(isNotModified({}, HASH, mtime));
});

test("brotli is preferred when accepted at least as much as gzip; q=0 refuses", () => {
  assert.is(negotiateEncoding("gzip, deflate, br"), "br");
  assert.is(negotiateEncoding("gzip"), "gzip");
  assert.is(negotiateEncoding("br;q=0.5, gzip;q=1"), "gzip");
  assert.is(negotiateEncoding("br;q=0, gzip"), "gzip");
  assert.is(negotiateEncoding("gzip;q=0, br;q=0"), undefined);
  assert.is(negotiateEncoding("*"), "br");
  assert.is(negotiateEncoding("*;q=0.1, br;q=0"), "gzip");
  assert.is(negotiateEncoding("identity"), undefined);
  assert.is(negotiateEncoding(""), undefined);
  assert.is(negotiateEncoding(undefined), undefined);
});

test("content types: UTF-8 for text, octet-stream for the unknown; compressible types", () => {
  assert.is(contentTypeFor("site.css"), "text/css; charset=utf-8");
  assert.is(contentTypeFor("app.js"), "text/javascript; charset=utf-8");
  assert.is(contentTypeFor("notes.txt"), "text/plain; charset=utf-8");
  assert.is(contentTypeFor("index.html"), "text/html; charset=utf-8");
  assert.is(contentTypeFor("logo.png"), "image/png");
  assert.is(contentTypeFor("LICENSE"), "application/octet-stream");
  assert.is(contentTypeFor("x.unknownext"), "application/octet-stream");
  assert.ok(isCompressible(contentTypeFor("site.css")));
  assert.ok(isCompressible(contentTypeFor("logo.svg")));
  assert.ok(isCompressible(contentTypeFor("data.json")));
  assert.not.ok(isCompressible(contentTypeFor("logo.png")));
  assert.not.ok(isCompressible(contentTypeFor("font.woff2")));
});

test("asset outputs drop a leading assets/ and become .js or .css", () => {
  assert.is(assetOutputPath("assets/app.ts"), "app.js");
  assert.is(assetOutputPath("assets/site.css"), "site.css");
  assert.is(assetOutputPath("assets/admin/panel.tsx"), "admin/panel.js");
  assert.is(assetOutputPath("src/widget.mts"), "src/widget.js");
  assert.is(assetOutputPath("./assets/app.mjs"), "app.js");
});

test("byte ranges: one range, open-ended or suffix; beyond the end is unsatisfiable; the rest is ignored", () => {
  assert.equal(parseRange("bytes=0-99", 1000), { start: 0, end: 99 });
  assert.equal(parseRange("bytes=990-2000", 1000), { start: 990, end: 999 });
  assert.equal(parseRange("bytes=500-", 1000), { start: 500, end: 999 });
  assert.equal(parseRange("bytes=-100", 1000), { start: 900, end: 999 });
  assert.equal(parseRange("bytes=-5000", 1000), { start: 0, end: 999 });
  assert.is(parseRange("bytes=1000-", 1000), "unsatisfiable");
  assert.is(parseRange("bytes=-0", 1000), "unsatisfiable");
  assert.is(parseRange("bytes=0-0,5-9", 1000), undefined, "several ranges: the whole file");
  assert.is(parseRange("bytes=9-5", 1000), undefined);
  assert.is(parseRange("items=0-5", 1000), undefined);
  assert.is(parseRange("bytes=-", 1000), undefined);
  assert.is(parseRange(undefined, 1000), undefined);
});

test("If-Range: the strong ETag or the exact date allow the range; a weak tag or another date do not", () => {
  const mtime = new Date("2026-01-01T00:00:00.500Z");
  assert.ok(ifRangeAllows(undefined, '"abc"', mtime));
  assert.ok(ifRangeAllows('"abc"', '"abc"', mtime));
  assert.not.ok(ifRangeAllows('"old"', '"abc"', mtime));
  assert.not.ok(ifRangeAllows('W/"abc"', '"abc"', mtime));
  assert.ok(ifRangeAllows("Thu, 01 Jan 2026 00:00:00 GMT", '"abc"', mtime));
  assert.not.ok(ifRangeAllows("Fri, 02 Jan 2026 00:00:00 GMT", '"abc"', mtime));
});

test.run();
