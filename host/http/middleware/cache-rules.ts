/**
 * Which plugin responses the host may keep and serve to other clients: pure decisions on a
 * request's method and headers and a response's status and headers (RFC 9111, as a shared cache,
 * on the conservative side).
 */
import type { IncomingHttpHeaders } from "node:http";

/** Statuses a shared cache may store when the response says how long it is fresh (RFC 9110 15.1). */
const CACHEABLE_STATUS = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

/**
 * Whether the host may answer this request from its cache (and store the answer). Only GET and
 * HEAD, and only anonymous requests: anything with credentials (Authorization, Cookie) may get
 * an answer meant for one user. Range requests go to the plugin.
 */
export function isCacheableRequest(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return (method === "GET" || method === "HEAD") &&
    headers.authorization === undefined && headers.cookie === undefined && headers.range === undefined;
}

/** How the host may keep a response it is allowed to store. */
export interface Storable {
  /** How long it is fresh from when the plugin sent it, in milliseconds. */
  readonly lifetimeMs: number;
  /** The plugin's own `Age`, in seconds (usually 0). */
  readonly initialAgeSeconds: number;
  /** Lower-case names of the request headers it varies on. */
  readonly vary: readonly string[];
}

/** What a response says about itself, gathered while its headers are copied. */
export interface ResponseCacheHeaders {
  readonly cacheControl: string | undefined;
  readonly vary: string | undefined;
  readonly age: string | undefined;
  readonly setCookie: boolean;
}

/**
 * How the host may keep this response, or undefined when it may not. It may when the response
 * says `public` with `max-age=N`, or `s-maxage=N` (N > 0); and not with `private`, `no-store`,
 * `no-cache`, `Vary: *`, a `Set-Cookie`, or a status outside RFC 9110's cacheable list.
 *
 * @example
 * ```ts
 * storableResponse(200, { cacheControl: "public, max-age=60", vary: undefined, age: undefined, setCookie: false });
 * // { lifetimeMs: 60000, initialAgeSeconds: 0, vary: [] }
 * ```
 */
export function storableResponse(status: number, headers: ResponseCacheHeaders): Storable | undefined {
  if (headers.cacheControl === undefined || headers.setCookie || !CACHEABLE_STATUS.has(status)) return undefined;
  const directives = parseCacheControl(headers.cacheControl);
  if (directives.has("no-store") || directives.has("private") || directives.has("no-cache")) return undefined;
  const sMaxAge = deltaSeconds(directives.get("s-maxage"));
  const maxAge = directives.has("public") ? deltaSeconds(directives.get("max-age")) : undefined;
  const lifetime = sMaxAge ?? maxAge;
  if (lifetime === undefined || lifetime <= 0) return undefined;
  const vary = headers.vary === undefined ? [] : headers.vary.split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  if (vary.includes("*")) return undefined;
  return { lifetimeMs: lifetime * 1000, initialAgeSeconds: deltaSeconds(headers.age) ?? 0, vary };
}

/** Cache-Control directives by lower-case name; a value's quotes are removed. */
export function parseCacheControl(value: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === "") continue;
    const raw = eq < 0 ? "" : part.slice(eq + 1).trim();
    directives.set(name, raw.startsWith("\"") && raw.endsWith("\"") && raw.length >= 2 ? raw.slice(1, -1) : raw);
  }
  return directives;
}

/** A delta-seconds value ("60"), or undefined when missing or malformed. */
function deltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return undefined;
  return Number(value);
}
