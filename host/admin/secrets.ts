/**
 * Bearer secrets (API tokens, dashboard session ids): 32 random bytes, stored only as their
 * SHA-256. A salt is not needed: the secret itself has 256 bits of entropy, so the hash cannot
 * be reversed by guessing, and an unsalted hash can be looked up by index.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";

/** Prefix of API tokens, so secret scanners and people can tell what one is. */
export const API_TOKEN_PREFIX = "corral_";

/** A new API token, shown once: `corral_` + 43 base64url characters. */
export function newApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** A new dashboard session id (the cookie's value). */
export function newSessionId(): string {
  return randomBytes(32).toString("base64url");
}

/** A token's public id: names it in lists, the audit log and revocation, reveals nothing. */
export function newTokenId(): string {
  return "tok_" + randomBytes(8).toString("hex");
}

/** What the database holds for a secret: its SHA-256, hex. */
export function secretHash(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/**
 * The dashboard's CSRF token for a session: an HMAC of a fixed label under the session id.
 * Only someone holding the (HttpOnly) session cookie can compute it, and nothing is stored.
 */
export function sessionCsrfToken(sessionId: string): string {
  return createHmac("sha256", sessionId).update("corral dashboard csrf").digest("base64url");
}
