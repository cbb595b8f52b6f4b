/** Checks of what users type: names, passwords, where to go after signing in. */

/** A user name: 2-40 characters of letters, digits, ".", "_" and "-". */
export function nameProblem(name: string): string | undefined {
  return /^[A-Za-z0-9._-]{2,40}$/.test(name) ? undefined : "a name is 2 to 40 letters, digits, \".\", \"_\" or \"-\"";
}

/** A password: 8 to 200 characters (scrypt's cost grows with length; 200 is plenty). */
export function passwordProblem(password: string): string | undefined {
  return password.length >= 8 && password.length <= 200 ? undefined : "a password is 8 to 200 characters";
}

/** A role name, as the host's manifest schema allows them in `access`. */
export function roleProblem(role: string): string | undefined {
  return /^[a-z][a-z0-9_-]{0,39}$/.test(role) ? undefined : "a role is 1 to 40 lowercase letters, digits, \"_\" or \"-\", starting with a letter";
}

/**
 * Where to go after signing in: a path on this host only ("/plugins/..."), never another
 * site (an open redirect would let a link to our login page send users anywhere).
 */
export function safeNext(next: string | undefined): string {
  if (next === undefined || !next.startsWith("/") || next.startsWith("//") || next.includes("\\")) return "/plugins/auth/";
  return next;
}
