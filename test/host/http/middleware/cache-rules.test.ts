/** Tests for which requests and responses the host's response cache may use. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isCacheableRequest, parseCacheControl, storableResponse } from "../../../../host/http/middleware/cache-rules.ts";

const headers = (cacheControl: string | undefined, extra: { vary?: string; age?: string; setCookie?: boolean } = {}) =>
  ({ cacheControl, vary: extra.vary, age: extra.age, setCookie: extra.setCookie ?? false });

test("only anonymous GET and HEAD requests without Range may use the cache", () => {
  assert.ok(isCacheableRequest("GET", {}));
  assert.ok(isCacheableRequest("HEAD", { accept: "text/html" }));
  assert.not.ok(isCacheableRequest("POST", {}));
  assert.not.ok(isCacheableRequest("GET", { cookie: "a=1" }));
  assert.not.ok(isCacheableRequest("GET", { authorization: "Bearer x" }));
  assert.not.ok(isCacheableRequest("GET", { range: "bytes=0-10" }));
  assert.not.ok(isCacheableRequest(undefined, {}));
});

test("public with max-age, or s-maxage, makes a response storable for that long", () => {
  assert.equal(storableResponse(200, headers("public, max-age=60")), { lifetimeMs: 60_000, initialAgeSeconds: 0, vary: [] });
  assert.equal(storableResponse(200, headers("s-maxage=30")), { lifetimeMs: 30_000, initialAgeSeconds: 0, vary: [] });
  // s-maxage is for shared caches such as the host, and wins over max-age.
  assert.equal(storableResponse(200, headers("public, max-age=600, s-maxage=5"))?.lifetimeMs, 5000);
  assert.equal(storableResponse(200, headers("Public, Max-Age=\"10\""))?.lifetimeMs, 10_000);
  assert.equal(storableResponse(404, headers("public, max-age=10"))?.lifetimeMs, 10_000);
  assert.equal(storableResponse(200, headers("public, max-age=10", { age: "3" }))?.initialAgeSeconds, 3);
  assert.equal(storableResponse(200, headers("public, max-age=10", { vary: "Accept-Language, X-Theme" }))?.vary, ["accept-language", "x-theme"]);
});

test("anything else is not storable", () => {
  const refused: Array<[number, ReturnType<typeof headers>, string]> = [
    [200, headers(undefined), "no Cache-Control"],
    [200, headers("max-age=60"), "max-age without public (the browser's, not a shared cache's)"],
    [200, headers("public"), "no lifetime"],
    [200, headers("public, max-age=0"), "lifetime 0"],
    [200, headers("public, max-age=abc"), "malformed max-age"],
    [200, headers("public, max-age=-5"), "negative max-age"],
    [200, headers("private, max-age=60"), "private"],
    [200, headers("public, max-age=60, no-store"), "no-store"],
    [200, headers("public, max-age=60, no-cache"), "no-cache"],
    [200, headers("public, max-age=60, no-cache=\"set-cookie\""), "no-cache with fields"],
    [200, headers("public, max-age=60", { setCookie: true }), "Set-Cookie"],
    [200, headers("public, max-age=60", { vary: "*" }), "Vary: *"],
    [206, headers("public, max-age=60"), "a partial answer"],
    [500, headers("public, max-age=60"), "a server error"],
    [302, headers("public, max-age=60"), "a temporary redirect"],
  ];
  for (const [status, given, why] of refused) assert.is(storableResponse(status, given), undefined, why);
});

test("Cache-Control directives are parsed case-insensitively, with quotes removed", () => {
  assert.equal([...parseCacheControl(" Public ,MAX-AGE=60, ,no-cache=\"a, b\"")], [["public", ""], ["max-age", "60"], ["no-cache", "\"a"], ["b\"", ""]]);
  assert.equal(parseCacheControl("s-maxage=\"5\"").get("s-maxage"), "5");
});

test.run();
