/**
 * The admin API's one way of finding the caller: the bootstrap token, an API token (both as
 * `Authorization: Bearer`), or a dashboard session cookie. A cookie-authenticated request that
 * changes something must also pass the dashboard's CSRF check (a browser sends cookies with
 * forged requests too; bearer tokens it never sends by itself).
 */
import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import type { AccessStore } from "../../admin/access-store.ts";
import { BOOTSTRAP_NAME } from "../../admin/access-store.ts";
import { sessionCsrfToken } from "../../admin/secrets.ts";
import { CSRF_FIELD, CSRF_HEADER, crossSiteReason, tokensMatch } from "../middleware/csrf.ts";
import type { AdminCaller, AdminEnv, Authenticate } from "./router.ts";

/** The dashboard session cookie. */
export const SESSION_COOKIE = "corral_admin_session";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface AuthenticateOptions {
  /** The bootstrap token (CORRAL_ADMIN_TOKEN or <data dir>/admin-token): role admin, name "bootstrap". */
  readonly bootstrapToken: string;
  /** API tokens and sessions; without it only the bootstrap token works. */
  readonly store?: Pick<AccessStore, "principalForToken" | "principalForSession">;
  /** Origins other than the request's Host that may post to the dashboard (the policy's http.csrf.trustedOrigins). */
  readonly trustedOrigins?: readonly string[];
}

export function createAuthenticate(options: AuthenticateOptions): Authenticate {
  const expected = Buffer.from(options.bootstrapToken);
  const bootstrap: AdminCaller = { name: BOOTSTRAP_NAME, role: "admin", via: "bootstrap" };
  const store = options.store;
  return async (c) => {
    const header = c.req.header("authorization");
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (match === null) return null;
      const given = Buffer.from(match[1]!);
      if (given.length === expected.length && timingSafeEqual(given, expected)) return bootstrap;
      const principal = await store?.principalForToken(match[1]!);
      return principal == null ? null : { ...principal, via: "token" };
    }
    const sessionId = getCookie(c, SESSION_COOKIE);
    if (sessionId === undefined || store === undefined) return null;
    const principal = await store.principalForSession(sessionId);
    if (principal === null) return null;
    const caller: AdminCaller = { ...principal, via: "session", csrfToken: sessionCsrfToken(sessionId) };
    if (UNSAFE.has(c.req.method)) await checkCsrf(c, caller.csrfToken!, options.trustedOrigins ?? []);
    return caller;
  };
}

/** Refuses a cookie-authenticated change from another site, or without the session's CSRF token. */
async function checkCsrf(c: Context<AdminEnv>, expected: string, trustedOrigins: readonly string[]): Promise<void> {
  const refuse = (reason: string) => new CorralError(ErrorCode.CSRF,
    `${c.req.method} ${c.req.path} was refused as a possible cross-site request forgery: ${reason}. A dashboard session ` +
      `may change something only from the dashboard's own forms (field "${CSRF_FIELD}") or with the "${CSRF_HEADER}" header; API clients use a bearer token`);
  const crossSite = c.env?.incoming === undefined ? undefined : crossSiteReason(c.env.incoming.headers, trustedOrigins);
  if (crossSite !== undefined) throw refuse(crossSite);
  let given = c.req.header(CSRF_HEADER);
  if (given === undefined) {
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type === "application/x-www-form-urlencoded" || type === "multipart/form-data") {
      const field = (await c.req.parseBody())[CSRF_FIELD];
      if (typeof field === "string") given = field;
    }
  }
  if (given === undefined) throw refuse(`it sent no "${CSRF_HEADER}" header and no "${CSRF_FIELD}" form field`);
  if (!tokensMatch(expected, given)) throw refuse("its CSRF token is not this session's");
}
