/**
 * The session cookie: `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on cross-site
 * posts), `Path=/` (every plugin's requests carry it to the hook), and `Secure` when the
 * request came over TLS as the host decides it (`c.env.request.secure`: its own TLS, or a proxy
 * its policy trusts saying `X-Forwarded-Proto: https`). The plugin never reads that header: a
 * client could write it, and whether a session cookie may travel over plain HTTP is not the
 * client's to choose.
 *
 * @module
 */

export const SESSION_COOKIE = "corral_session";

/** `Set-Cookie` for a new session of `maxAgeSeconds`. */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/** `Set-Cookie` that removes the session cookie. */
export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/** A value of the `cookie` request header, by name. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
