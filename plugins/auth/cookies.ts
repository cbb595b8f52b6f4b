/**
 * The session cookie: `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on cross-site
 * posts), `Path=/` (every plugin's requests carry it to the hook), and `Secure` when the
 * request came over TLS. The host serves plain HTTP and the plugin sees an `http:` URL; a TLS
 * proxy in front says `x-forwarded-proto: https`. Trusting that header only decides whether to
 * add `Secure`, which a lying client could only use against itself.
 *
 * @module
 */

export const SESSION_COOKIE = "corral_session";

/** Whether the client reached us over TLS: the request URL, or the proxy's `x-forwarded-proto`. */
export function cameOverTls(url: string, forwardedProto: string | undefined): boolean {
  if (new URL(url).protocol === "https:") return true;
  return forwardedProto?.split(",")[0]?.trim().toLowerCase() === "https";
}

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
