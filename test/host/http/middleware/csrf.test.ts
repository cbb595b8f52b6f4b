/** Tests for the CSRF pieces: the cookie, the origin check, the token sources and the comparison. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../../schemas/errors.ts";
import {
  crossSiteReason, csrfCookie, csrfRefusal, csrfTokenFromCookies, csrfTokenFromForm, needsCsrfCheck, newCsrfToken, tokensMatch,
} from "../../../../host/http/middleware/csrf.ts";

const TOKEN = "a".repeat(43);
const OTHER = "b".repeat(43);

test("new tokens are 43 base64url characters and differ", () => {
  const a = newCsrfToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.is.not(newCsrfToken(), a);
});

test("the token is found in a Cookie header wherever it stands, and only when well-formed", () => {
  assert.is(csrfTokenFromCookies(`corral_csrf=${TOKEN}`), TOKEN);
  assert.is(csrfTokenFromCookies(`a=1; corral_csrf=${TOKEN}; b=2`), TOKEN);
  assert.is(csrfTokenFromCookies(`a=1;corral_csrf=${TOKEN}`), TOKEN);
  assert.is(csrfTokenFromCookies(`corral_csrf=${TOKEN}; corral_csrf=${TOKEN}`), TOKEN);
  assert.is(csrfTokenFromCookies(undefined), undefined);
  assert.is(csrfTokenFromCookies("a=1"), undefined);
  assert.is(csrfTokenFromCookies("corral_csrf=short"), undefined);
  assert.is(csrfTokenFromCookies(`corral_csrf=${TOKEN}x`), undefined);
  assert.is(csrfTokenFromCookies(`xcorral_csrf=${TOKEN}`), undefined, "another cookie whose name ends the same");
  assert.is(csrfTokenFromCookies(`corral_csrf=${TOKEN}; corral_csrf=${OTHER}`), undefined, "two different tokens: neither is trusted");
});

test("the cookie is HttpOnly, SameSite=Lax, for the whole site; Secure when asked", () => {
  assert.is(csrfCookie(TOKEN, false), `corral_csrf=${TOKEN}; Path=/; HttpOnly; SameSite=Lax`);
  assert.is(csrfCookie(TOKEN, true), `corral_csrf=${TOKEN}; Path=/; HttpOnly; SameSite=Lax; Secure`);
});

test("only unsafe methods with cookies need the check", () => {
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) assert.ok(needsCsrfCheck(method, { cookie: "a=1" }), method);
  for (const method of ["GET", "HEAD", "OPTIONS"]) assert.not.ok(needsCsrfCheck(method, { cookie: "a=1" }), method);
  assert.not.ok(needsCsrfCheck("POST", {}));
  assert.not.ok(needsCsrfCheck("POST", { authorization: "Bearer x" }));
});

test("an Origin of this host passes, default ports and case aside; another site does not", () => {
  assert.is(crossSiteReason({ host: "app.example:8080", origin: "http://app.example:8080" }, []), undefined);
  assert.is(crossSiteReason({ host: "app.example", origin: "https://APP.example:443" }, []), undefined);
  assert.is(crossSiteReason({ host: "app.example:80", origin: "http://app.example" }, []), undefined);
  assert.is(crossSiteReason({ host: "app.example" }, []), undefined, "no Origin: the token decides");
  assert.is(crossSiteReason({ host: "app.example", origin: "null" }, []), undefined, "Origin null proves nothing");
  assert.match(crossSiteReason({ host: "app.example", origin: "https://evil.example" }, [])!, /Origin "https:\/\/evil.example" is not this host/);
  assert.match(crossSiteReason({ host: "app.example", origin: "https://sub.app.example" }, [])!, /not this host/);
  assert.match(crossSiteReason({ host: "app.example", origin: "http://app.example.evil.example" }, [])!, /not this host/);
  assert.match(crossSiteReason({ host: "app.example", origin: "garbage" }, [])!, /not this host/);
  assert.match(crossSiteReason({ host: "app.example", "sec-fetch-site": "cross-site" }, [])!, /Sec-Fetch-Site/);
  assert.is(crossSiteReason({ host: "app.example", "sec-fetch-site": "same-site" }, []), undefined);
});

test("trusted origins pass even when Host differs (behind a proxy)", () => {
  assert.is(crossSiteReason({ host: "127.0.0.1:8080", origin: "https://app.example" }, ["https://app.example"]), undefined);
  assert.match(crossSiteReason({ host: "127.0.0.1:8080", origin: "https://app.example" }, [])!, /trustedOrigins/);
});

test("the _csrf field is read from urlencoded and multipart bodies only", async () => {
  const enc = (text: string) => new TextEncoder().encode(text);
  assert.is(await csrfTokenFromForm("application/x-www-form-urlencoded", enc(`a=1&_csrf=${TOKEN}`)), TOKEN);
  assert.is(await csrfTokenFromForm("application/x-www-form-urlencoded; charset=UTF-8", enc(`_csrf=${TOKEN}`)), TOKEN);
  assert.is(await csrfTokenFromForm("application/x-www-form-urlencoded", enc("a=1")), undefined);
  const form = new FormData();
  form.set("_csrf", TOKEN);
  form.set("file", new Blob(["data"]), "f.txt");
  const request = new Request("http://x/", { method: "POST", body: form });
  assert.is(await csrfTokenFromForm(request.headers.get("content-type")!, new Uint8Array(await request.arrayBuffer())), TOKEN);
  assert.is(await csrfTokenFromForm("multipart/form-data; boundary=x", enc("not multipart")), undefined);
  assert.is(await csrfTokenFromForm("application/json", enc(`{"_csrf":"${TOKEN}"}`)), undefined);
  assert.is(await csrfTokenFromForm(undefined, enc(`_csrf=${TOKEN}`)), undefined);
});

test("tokens match only when equal", () => {
  assert.ok(tokensMatch(TOKEN, TOKEN));
  assert.not.ok(tokensMatch(TOKEN, OTHER));
  assert.not.ok(tokensMatch(TOKEN, TOKEN.slice(1)));
  assert.not.ok(tokensMatch(TOKEN, undefined));
  assert.not.ok(tokensMatch(TOKEN, "ä".repeat(43)));
});

test("the refusal names the request, the reason and what to send", () => {
  const error = csrfRefusal("POST", "/plugins/notes/add", "no token");
  assert.is(error.code, ErrorCode.CSRF);
  assert.match(error.message, /^POST \/plugins\/notes\/add was refused .*: no token\. /);
  assert.match(error.message, /"x-csrf-token" header or a "_csrf" form field/);
  assert.match(error.message, /csrfToken/);
});

test.run();
