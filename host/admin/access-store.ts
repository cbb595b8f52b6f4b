/**
 * Admin users, API tokens and dashboard sessions in the host database (migration 0003-access).
 * Only hashes of secrets are written; a new token's plaintext is returned once, to be shown once.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import type pg from "pg";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { HostTables } from "../db/host-migrations/tables.ts";
import type { AdminRole } from "../http/admin/permissions.ts";
import { ROLE_PERMISSIONS } from "../http/admin/permissions.ts";
import { decoyHash, hashPassword, passwordProblem, verifyPassword } from "./passwords.ts";
import { newApiToken, newSessionId, newTokenId, secretHash } from "./secrets.ts";

/** The bootstrap token's name; no user may take it. */
export const BOOTSTRAP_NAME = "bootstrap";
const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Token names are labels ("ci deploy"), not identifiers. */
const MAX_TOKEN_NAME = 100;
/** How long a dashboard session lasts after login. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** last_used_at is written at most this often per token: one write per request would be a hot row. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface AdminUser {
  readonly name: string;
  readonly role: AdminRole;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface ApiTokenInfo {
  readonly id: string;
  readonly name: string;
  /** The token's own role, or its owner's current role. */
  readonly role: AdminRole;
  readonly owner: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  /** "active", "expired" or "revoked". */
  readonly status: "active" | "expired" | "revoked";
}

/** Who a credential stands for. */
export interface Principal {
  readonly name: string;
  readonly role: AdminRole;
}

export function isRole(value: unknown): value is AdminRole {
  return typeof value === "string" && Object.hasOwn(ROLE_PERMISSIONS, value);
}

export class AccessStore {
  readonly #db: Kysely<HostTables>;
  /** When this host last wrote each token's last_used_at (skips the write, a second query, within the resolution). */
  readonly #lastUsedWritten = new Map<string, number>();

  constructor(adminPool: pg.Pool) {
    this.#db = new Kysely<HostTables>({ dialect: new PostgresDialect({ pool: adminPool }) });
  }

  // ---- users ----

  async createUser(input: { name: unknown; role: unknown; password: unknown }, createdBy: string): Promise<AdminUser> {
    const name = checkUserName(input.name);
    const role = checkRole(input.role);
    const problem = passwordProblem(input.password);
    if (problem !== undefined) throw invalid(problem);
    const password_hash = await hashPassword(input.password as string);
    const row = await this.#db.insertInto("corral.admin_users")
      .values({ name, role, password_hash, created_by: createdBy })
      .onConflict((oc) => oc.column("name").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new CorralError(ErrorCode.ADMIN_CONFLICT, `a user named "${name}" exists; pick another name or delete that user first`);
    return toUser(row);
  }

  async listUsers(): Promise<AdminUser[]> {
    const rows = await this.#db.selectFrom("corral.admin_users").selectAll().orderBy("name").execute();
    return rows.map(toUser);
  }

  /** Deletes a user, their sessions and the tokens they own. */
  async deleteUser(name: string): Promise<void> {
    const result = await this.#db.deleteFrom("corral.admin_users").where("name", "=", name).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw noUser(name);
  }

  async setRole(name: string, role: unknown): Promise<AdminUser> {
    const checked = checkRole(role);
    const row = await this.#db.updateTable("corral.admin_users")
      .set({ role: checked, updated_at: sql`now()` })
      .where("name", "=", name)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw noUser(name);
    return toUser(row);
  }

  async setPassword(name: string, password: unknown): Promise<void> {
    const problem = passwordProblem(password);
    if (problem !== undefined) throw invalid(problem);
    const password_hash = await hashPassword(password as string);
    const result = await this.#db.transaction().execute(async (tx) => {
      const updated = await tx.updateTable("corral.admin_users")
        .set({ password_hash, updated_at: sql`now()` }).where("name", "=", name).executeTakeFirst();
      // A new password ends the sessions opened with the old one.
      await tx.deleteFrom("corral.admin_sessions").where("user_name", "=", name).execute();
      return updated;
    });
    if (result.numUpdatedRows === 0n) throw noUser(name);
  }

  /** The user when `password` is theirs; null otherwise (same time either way). */
  async checkPassword(name: string, password: string): Promise<Principal | null> {
    const row = await this.#db.selectFrom("corral.admin_users").select(["name", "role", "password_hash"])
      .where("name", "=", name).executeTakeFirst();
    const ok = await verifyPassword(password, row?.password_hash ?? await decoyHash());
    return row !== undefined && ok && isRole(row.role) ? { name: row.name, role: row.role } : null;
  }

  // ---- tokens ----

  /** Creates a token and returns it with its plaintext, which is not stored and cannot be had again. */
  async createToken(input: { name: unknown; role?: unknown; owner?: unknown; expiresInDays?: unknown }, createdBy: string):
    Promise<{ token: string; info: ApiTokenInfo }> {
    if (typeof input.name !== "string" || input.name.trim() === "" || input.name.length > MAX_TOKEN_NAME) {
      throw invalid(`name must be a label of 1 to ${MAX_TOKEN_NAME} characters, got ${describe(input.name)}`);
    }
    const hasOwner = input.owner !== undefined && input.owner !== null && input.owner !== "";
    const hasRole = input.role !== undefined && input.role !== null && input.role !== "";
    if (hasOwner === hasRole) {
      throw invalid(`give a token either a "role" (admin, operator or viewer) or an "owner" (a user whose role it takes), not ${hasOwner ? "both" : "neither"}`);
    }
    const role = hasRole ? checkRole(input.role) : null;
    const owner = hasOwner ? checkUserName(input.owner) : null;
    let expires_at: Date | null = null;
    if (input.expiresInDays !== undefined && input.expiresInDays !== null && input.expiresInDays !== "") {
      const days = Number(input.expiresInDays);
      if (!Number.isFinite(days) || days <= 0 || days > 3650) throw invalid(`expiresInDays must be a number of days from 1 to 3650, got ${describe(input.expiresInDays)}`);
      expires_at = new Date(Date.now() + days * 86_400_000);
    }
    const token = newApiToken();
    try {
      const row = await this.#db.insertInto("corral.admin_tokens")
        .values({ id: newTokenId(), name: input.name.trim(), role, owner, token_hash: secretHash(token), created_by: createdBy, expires_at })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { token, info: toToken({ ...row, owner_role: role ?? (await this.#userRole(owner!)) }) };
    } catch (error) {
      if ((error as { code?: string }).code === "23503") throw noUser(owner ?? "");
      throw error;
    }
  }

  async listTokens(): Promise<ApiTokenInfo[]> {
    const rows = await this.#db.selectFrom("corral.admin_tokens as t")
      .leftJoin("corral.admin_users as u", "u.name", "t.owner")
      .selectAll("t")
      .select("u.role as owner_role")
      .orderBy("t.created_at", "desc")
      .execute();
    return rows.map(toToken);
  }

  async revokeToken(id: string): Promise<ApiTokenInfo> {
    const row = await this.#db.updateTable("corral.admin_tokens")
      .set({ revoked_at: sql`coalesce(revoked_at, now())` })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new CorralError(ErrorCode.ADMIN_NOT_FOUND, `no token with id "${id}"; GET /admin/access/tokens lists them`);
    return toToken({ ...row, owner_role: row.role ?? (await this.#userRole(row.owner ?? "")) });
  }

  /** Who an API token stands for, or null when it is unknown, revoked or expired. */
  async principalForToken(token: string): Promise<Principal | null> {
    const row = await this.#db.selectFrom("corral.admin_tokens as t")
      .leftJoin("corral.admin_users as u", "u.name", "t.owner")
      .select(["t.id", "t.name", "t.role", "t.owner", "u.role as owner_role"])
      .where("t.token_hash", "=", secretHash(token))
      .where("t.revoked_at", "is", null)
      .where((eb) => eb.or([eb("t.expires_at", "is", null), eb("t.expires_at", ">", sql<Date>`now()`)]))
      .executeTakeFirst();
    if (row === undefined) return null;
    const role = row.role ?? row.owner_role;
    if (!isRole(role)) return null;
    const now = Date.now();
    if (now - (this.#lastUsedWritten.get(row.id) ?? 0) >= LAST_USED_RESOLUTION_MS) {
      this.#lastUsedWritten.set(row.id, now);
      await this.#db.updateTable("corral.admin_tokens").set({ last_used_at: sql`now()` }).where("id", "=", row.id).execute();
    }
    return { name: row.owner ?? `token:${row.name} (${row.id})`, role };
  }

  // ---- sessions ----

  /** Opens a dashboard session; returns the cookie's value (only its hash is stored). */
  async openSession(userName: string): Promise<{ sessionId: string; expiresAt: Date }> {
    const sessionId = newSessionId();
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.#db.insertInto("corral.admin_sessions").values({ id_hash: secretHash(sessionId), user_name: userName, expires_at: expiresAt }).execute();
    // Expired sessions are cleaned up here, not by a timer: logins are rare and cheap to piggyback on.
    await this.#db.deleteFrom("corral.admin_sessions").where("expires_at", "<", sql<Date>`now()`).execute();
    return { sessionId, expiresAt };
  }

  /** The user of a live session (with their current role), or null. */
  async principalForSession(sessionId: string): Promise<Principal | null> {
    const row = await this.#db.selectFrom("corral.admin_sessions as s")
      .innerJoin("corral.admin_users as u", "u.name", "s.user_name")
      .select(["u.name", "u.role"])
      .where("s.id_hash", "=", secretHash(sessionId))
      .where("s.expires_at", ">", sql<Date>`now()`)
      .executeTakeFirst();
    return row !== undefined && isRole(row.role) ? { name: row.name, role: row.role } : null;
  }

  async closeSession(sessionId: string): Promise<void> {
    await this.#db.deleteFrom("corral.admin_sessions").where("id_hash", "=", secretHash(sessionId)).execute();
  }

  async #userRole(name: string): Promise<string | null> {
    const row = await this.#db.selectFrom("corral.admin_users").select("role").where("name", "=", name).executeTakeFirst();
    return row?.role ?? null;
  }
}

function toUser(row: { name: string; role: string; created_at: Date; created_by: string }): AdminUser {
  return { name: row.name, role: row.role as AdminRole, createdAt: row.created_at.toISOString(), createdBy: row.created_by };
}

function toToken(row: {
  id: string; name: string; role: string | null; owner: string | null; owner_role: string | null; created_at: Date; created_by: string;
  last_used_at: Date | null; expires_at: Date | null; revoked_at: Date | null;
}): ApiTokenInfo {
  const status = row.revoked_at !== null ? "revoked" : row.expires_at !== null && row.expires_at.getTime() <= Date.now() ? "expired" : "active";
  return {
    id: row.id, name: row.name, role: (row.role ?? row.owner_role ?? "viewer") as AdminRole, owner: row.owner,
    createdAt: row.created_at.toISOString(), createdBy: row.created_by,
    lastUsedAt: row.last_used_at?.toISOString() ?? null, expiresAt: row.expires_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null, status,
  };
}

function checkUserName(name: unknown): string {
  if (typeof name !== "string" || !USER_NAME.test(name)) {
    throw invalid(`a user name is 1 to 63 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit; got ${describe(name)}`);
  }
  if (name === BOOTSTRAP_NAME) throw invalid(`"${BOOTSTRAP_NAME}" is the bootstrap token's name; pick another user name`);
  return name;
}

function checkRole(role: unknown): AdminRole {
  if (!isRole(role)) throw invalid(`role must be one of ${Object.keys(ROLE_PERMISSIONS).join(", ")}; got ${describe(role)}`);
  return role;
}

function invalid(message: string): CorralError {
  return new CorralError(ErrorCode.OPERATION_INVALID, message);
}

function noUser(name: string): CorralError {
  return new CorralError(ErrorCode.ADMIN_NOT_FOUND, `no user named "${name}"; GET /admin/access/users lists them`);
}

function describe(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value)?.slice(0, 80) ?? String(value);
}
