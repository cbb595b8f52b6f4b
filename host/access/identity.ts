/**
 * The signed-in user as the host sees it: `locals.identity`, attached by the global
 * beforeRequest hook of a plugin the policy trusts to provide identity (docs/security.md,
 * "Route roles"). The host reads only this key, and only from a granted provider: any other
 * plugin's `locals.identity` is dropped before it reaches anyone.
 */

/** The locals key that carries the identity. Reserved: only a granted identity provider may set it. */
export const IDENTITY_KEY = "identity";

/** `locals.identity`: who is signed in, and the roles the route rules check. */
export interface Identity {
  readonly user: { readonly id: string; readonly name: string };
  readonly roles: readonly string[];
}

/**
 * The identity in `locals`, or null for a signed-out request (no identity, or `identity: null`).
 *
 * @throws TypeError naming what is wrong when the provider attached something of another shape
 *   (the caller treats the request as signed out and logs it: fail closed).
 */
export function identityOf(locals: Readonly<Record<string, unknown>>): Identity | null {
  const value = locals[IDENTITY_KEY];
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) throw new TypeError(`locals.identity must be an object {user, roles} or null, got ${typeof value}`);
  const { user, roles } = value as { user?: unknown; roles?: unknown };
  if (typeof user !== "object" || user === null) throw new TypeError("locals.identity.user must be an object {id, name}");
  const { id, name } = user as { id?: unknown; name?: unknown };
  if (typeof id !== "string" || typeof name !== "string") throw new TypeError("locals.identity.user must have string id and name");
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string")) {
    throw new TypeError("locals.identity.roles must be an array of role names (strings)");
  }
  return { user: { id, name }, roles };
}
