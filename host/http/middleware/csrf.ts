/**
 * CSRF protection for browser requests, by double submit: the host keeps a random token in the
 * `corral_csrf` cookie, hands it to the plugin (the request context's `csrfToken`) to put in its
 * forms, and refuses an unsafe request that carries cookies unless it sends the same token back
 * (header `x-csrf-token` or form field `_csrf`) and does not come from another site.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";

/** The cookie that holds the token. */
export const CSRF_COOKIE = "corral_csrf";
/** The request header a script sends the token in. */
export const CSRF_HEADER = "x-csrf-token";
/** The form field an HTML form sends the token in. */
export const CSRF_FIELD = "_csrf";

/** 32 random bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

// Every request without the cookie needs a token; a randomBytes() call per token costs ~2.3 µs
// of the host's main thread (measured), one call per 128 tokens ~0.15 µs per token.
const TOKEN_BYTES = 32;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** A new token: 32 random bytes, base64url (43 characters). */
export function newCsrfToken(): string {
  if (poolAt + TOKEN_BYTES > pool.byteLength) {
    pool = randomBytes(TOKEN_BYTES * 128);
    poolAt = 0;
  }
  const token = pool.toString("base64url", poolAt, poolAt + TOKEN_BYTES);
  // A handed-out token's bytes do not stay behind in the pool.
  pool.fill(0, poolAt, poolAt + TOKEN_BYTES);
  poolAt += TOKEN_BYTES;
  return token;
}

/**
 * The token in a Cookie header, or undefined when there is none, it is malformed, or there are
 * two different ones (a cookie set by a sibling domain; neither can be trusted).
 */
export function csrfTokenFromCookies(cookie: string | undefined): string | undefined {
  if (cookie === undefined) return undefined;
  let found: string | undefined;
  let at = cookie.indexOf(CSRF_COOKIE + "=");
  while (at >= 0) {
    if (at === 0 || cookie[at - 1] === " " || cookie[at - 1] === ";") {
      const start = at + CSRF_COOKIE.length + 1;
      const end = cookie.indexOf(";", start);
      const value = cookie.slice(start, end < 0 ? undefined : end).trim();
      if (!TOKEN.test(value) || (found !== undefined && found !== value)) return undefined;
      found = value;
    }
    at = cookie.indexOf(CSRF_COOKIE + "=", at + 1);
  }
  return found;
}

/** The Set-Cookie value that gives the browser `token`. */
export function csrfCookie(token: string, secure: boolean): string {
  return `${CSRF_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/**
 * Whether a request needs the check: an unsafe method, sent by a browser (it carries cookies,
 * which is what a forged request would abuse). API clients without cookies need no token.
 */
export function needsCsrfCheck(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return headers.cookie !== undefined && method !== undefined && UNSAFE.has(method);
}

/**
 * Why the request looks cross-site, or undefined: `Sec-Fetch-Site: cross-site`, or an `Origin`
 * that is neither this request's Host nor a trusted origin. `Origin: null` (sent by privacy
 * settings and sandboxed frames) proves nothing either way and is left to the token.
 */
export function crossSiteReason(headers: IncomingHttpHeaders, trustedOrigins: readonly string[]): string | undefined {
  if (headers["sec-fetch-site"] === "cross-site") return "the browser says it came from another site (Sec-Fetch-Site: cross-site)";
  const origin = headers.origin;
  if (origin === undefined || origin === "null" || trustedOrigins.includes(origin)) return undefined;
  const host = headers.host;
  if (host !== undefined && originIsHost(origin, host)) return undefined;
  return `its Origin ${JSON.stringify(origin)} is not this host (Host: ${JSON.stringify(host ?? "")}); ` +
    "behind a proxy that changes Host, list the public origin in the policy's http.csrf.trustedOrigins";
}

/** The token a request sends in the `x-csrf-token` header, if any. */
export function csrfTokenFromHeader(headers: IncomingHttpHeaders): string | undefined {
  const value = headers[CSRF_HEADER];
  return typeof value === "string" ? value : undefined;
}

/**
 * The `_csrf` field of an `application/x-www-form-urlencoded` or `multipart/form-data` body, or
 * undefined for other bodies and for bodies that do not parse.
 */
export async function csrfTokenFromForm(contentType: string | undefined, body: Uint8Array): Promise<string | undefined> {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") {
    return new URLSearchParams(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")).get(CSRF_FIELD) ?? undefined;
  }
  if (type === "multipart/form-data") {
    try {
      const form = await new Response(body, { headers: { "content-type": contentType! } }).formData();
      const value = form.get(CSRF_FIELD);
      return typeof value === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Compares two tokens in time that does not depend on where they differ. */
export function tokensMatch(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  // Lengths are not secret (every token has 43 characters); contents are.
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

/** The refusal a client gets: what was refused, why, and what to send. */
export function csrfRefusal(method: string, path: string, reason: string): CorralError {
  return new CorralError(ErrorCode.CSRF, `${method} ${path} was refused as a possible cross-site request forgery: ${reason}. ` +
    `A browser request that carries cookies and changes something must send the token of the "${CSRF_COOKIE}" cookie ` +
    `in an "${CSRF_HEADER}" header or a "${CSRF_FIELD}" form field (a plugin renders it from the request context's csrfToken)`);
}

/** "https://a.example:443" vs Host "a.example": the same, once default ports are dropped. */
function originIsHost(origin: string, host: string): boolean {
  const match = /^(https?):\/\/([^/]+)$/i.exec(origin);
  if (match === null) return false;
  const scheme = match[1]!.toLowerCase();
  return withoutDefaultPort(match[2]!.toLowerCase(), scheme) === withoutDefaultPort(host.toLowerCase(), scheme);
}

function withoutDefaultPort(authority: string, scheme: string): string {
  const port = scheme === "https" ? ":443" : ":80";
  return authority.endsWith(port) ? authority.slice(0, -port.length) : authority;
}
