/**
 * The auth plugin's queries: users and roles, sessions, failed logins, reset tokens. Every
 * function takes the Kysely instance, so tests and commands use the same code as the routes.
 *
 * @module
 */

import type { Kysely } from "kysely";
import { sql } from "kysely";
import { hashPassword, newToken, tokenHash, verifyPassword } from "./crypto.ts";
import type { Database } from "./schema.ts";

type Db = Kysely<Database>;

/** Who is signed in: the shape the host reads as `locals.identity`. */
export interface Identity {
  readonly user: { readonly id: string; readonly name: string };
  readonly roles: readonly string[];
}

/** Every user has "user"; the first one to sign up is "admin" too. */
export const BASE_ROLE = "user";
export const ADMIN_ROLE = "admin";

/** A sign-up was refused: the name is taken. */
export class NameTaken extends Error {}

/** Creates a user with role "user" (and "admin" when it is the first user), in one transaction. */
export async function createUser(db: Db, name: string, password: string): Promise<Identity> {
  const passwordHash = await hashPassword(password);
  return await db.transaction().execute(async (tx) => {
    // One sign-up at a time decides who is first.
    await sql`lock table users in share row exclusive mode`.execute(tx);
    const first = (await tx.selectFrom("users").select("id").limit(1).executeTakeFirst()) === undefined;
    const user = await tx.insertInto("users").values({ name, password_hash: passwordHash })
      .onConflict((oc) => oc.column("name").doNothing()).returning(["id", "name"]).executeTakeFirst();
    if (user === undefined) throw new NameTaken(`the name "${name}" is taken`);
    const roles = first ? [BASE_ROLE, ADMIN_ROLE] : [BASE_ROLE];
    await tx.insertInto("user_roles").values(roles.map((role) => ({ user_id: user.id, role }))).execute();
    return { user, roles };
  });
}

/** The user's identity when `password` is theirs, else undefined (same time either way, roughly). */
export async function checkPassword(db: Db, name: string, password: string): Promise<Identity | undefined> {
  const row = await db.selectFrom("users").select(["id", "name", "password_hash"]).where("name", "=", name).executeTakeFirst();
  // An unknown name still costs a hash, so timing does not tell which names exist.
  const ok = await verifyPassword(password, row?.password_hash ?? UNKNOWN_USER_HASH);
  return row !== undefined && ok ? await identityOf(db, row.id) : undefined;
}
const UNKNOWN_USER_HASH = await hashPassword("no such user");

/** The identity of user `id`, or undefined when there is no such user. */
export async function identityOf(db: Db, id: string): Promise<Identity | undefined> {
  const user = await db.selectFrom("users").select(["id", "name"]).where("id", "=", id).executeTakeFirst();
  if (user === undefined) return undefined;
  const roles = await db.selectFrom("user_roles").select("role").where("user_id", "=", id).orderBy("role").execute();
  return { user, roles: roles.map((r) => r.role) };
}

/** The user id of a name, or undefined. */
export async function userIdByName(db: Db, name: string): Promise<string | undefined> {
  return (await db.selectFrom("users").select("id").where("name", "=", name).executeTakeFirst())?.id;
}

export async function grantRole(db: Db, userId: string, role: string): Promise<void> {
  await db.insertInto("user_roles").values({ user_id: userId, role }).onConflict((oc) => oc.doNothing()).execute();
}

export async function revokeRole(db: Db, userId: string, role: string): Promise<void> {
  await db.deleteFrom("user_roles").where("user_id", "=", userId).where("role", "=", role).execute();
}

/** Starts a session; returns the cookie's token (only its hash is stored). */
export async function startSession(db: Db, userId: string, hours: number): Promise<string> {
  const token = newToken();
  await db.insertInto("sessions").values({ token_hash: tokenHash(token), user_id: userId, expires_at: new Date(Date.now() + hours * 3_600_000) }).execute();
  return token;
}

/** The identity behind a session cookie, or undefined when it is unknown or expired. */
export async function sessionIdentity(db: Db, token: string): Promise<Identity | undefined> {
  const session = await db.selectFrom("sessions").select("user_id")
    .where("token_hash", "=", tokenHash(token)).where("expires_at", ">", new Date()).executeTakeFirst();
  return session === undefined ? undefined : await identityOf(db, session.user_id);
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom("sessions").where("token_hash", "=", tokenHash(token)).execute();
}

/**
 * Failed sign-ins within the window: on this name from any address (guessing one user's
 * password from many machines), and from this address on any name (one machine trying many
 * users). One statement; each count uses its own index.
 */
export async function recentFailures(db: Db, name: string, address: string, windowMinutes: number): Promise<{ byName: number; byAddress: number }> {
  const row = await db.selectFrom("login_failures")
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere("name", "=", name).as("by_name"),
      eb.fn.countAll<string>().filterWhere("address", "=", address).as("by_address"),
    ])
    .where((eb) => eb.or([eb("name", "=", name), eb("address", "=", address)]))
    .where("at", ">", new Date(Date.now() - windowMinutes * 60_000)).executeTakeFirstOrThrow();
  return { byName: Number(row.by_name), byAddress: Number(row.by_address) };
}

export async function recordFailure(db: Db, name: string, address: string): Promise<void> {
  await db.insertInto("login_failures").values({ name, address }).execute();
}

/**
 * A successful sign-in forgets the failures on this name from this address; the address's
 * failures on other names stay counted, so knowing one password does not reset a spray.
 */
export async function clearFailures(db: Db, name: string, address: string): Promise<void> {
  await db.deleteFrom("login_failures").where("name", "=", name).where("address", "=", address).execute();
}

/** A reset token for user `userId`, valid `minutes` (stored hashed). */
export async function createResetToken(db: Db, userId: string, minutes: number): Promise<string> {
  const token = newToken();
  await db.insertInto("reset_tokens").values({ token_hash: tokenHash(token), user_id: userId, expires_at: new Date(Date.now() + minutes * 60_000) }).execute();
  return token;
}

/**
 * Sets a new password with a reset token, which is used up; every session of the user ends.
 * False when the token is unknown, used or expired.
 */
export async function resetPassword(db: Db, token: string, password: string): Promise<boolean> {
  const passwordHash = await hashPassword(password);
  return await db.transaction().execute(async (tx) => {
    const used = await tx.deleteFrom("reset_tokens").where("token_hash", "=", tokenHash(token)).returning(["user_id", "expires_at"]).executeTakeFirst();
    if (used === undefined || used.expires_at <= new Date()) return false;
    await tx.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", used.user_id).execute();
    await tx.deleteFrom("sessions").where("user_id", "=", used.user_id).execute();
    return true;
  });
}
