/**
 * Who may see the page: a signed-in user holding one of `config.roles`. The host enforces the same
 * rule before the request arrives when the manifest declares route roles (`access`); this check
 * keeps the page closed on a host that does not, so a missing rule never opens it (deny by default).
 *
 * The identity is `locals.identity` (`{ user: { id, name }, roles }`), attached by the host's
 * identity provider (the auth plugin's global beforeRequest hook).
 *
 * @module
 */

/** The signed-in user, as the identity provider describes them. */
export interface Identity {
  readonly user: { readonly id: string; readonly name: string };
  readonly roles: readonly string[];
}

/** Why a request is refused, or the user it may proceed as. */
export type Decision =
  | { readonly allowed: true; readonly identity: Identity }
  | { readonly allowed: false; readonly status: 401 | 403; readonly message: string };

/** Decides whether `locals` identify a user holding one of `roles`. */
export function decide(locals: Readonly<Record<string, unknown>>, roles: readonly string[]): Decision {
  const identity = locals.identity as Partial<Identity> | null | undefined;
  const name = identity?.user?.name;
  if (identity === null || identity === undefined || typeof name !== "string" || !Array.isArray(identity.roles)) {
    return { allowed: false, status: 401, message: "Sign in to see the monitoring page." };
  }
  if (!identity.roles.some((role) => roles.includes(role))) {
    return { allowed: false, status: 403, message: `The monitoring page is for the roles ${roles.join(", ")}; ${name} has ${identity.roles.join(", ") || "none"}.` };
  }
  return { allowed: true, identity: identity as Identity };
}

/** `config.roles`, checked. @throws TypeError naming the key and what was expected. */
export function readRoles(config: Readonly<Record<string, unknown>>): readonly string[] {
  const roles = config.roles ?? ["admin", "operator"];
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((role) => typeof role === "string" && role !== "")) {
    throw new TypeError(`config.roles must be a non-empty array of role names like ["admin", "operator"], got ${JSON.stringify(roles)}`);
  }
  return Object.freeze([...roles]);
}
