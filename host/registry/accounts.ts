/**
 * Registry accounts: a name, a role and a bearer token, of which only a SHA-256 is stored. A
 * token is 32 random bytes: hashing it without a salt is enough (nothing to guess), and lets the
 * registry find the account with one indexed lookup.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { AccountRole, RegistryTables } from "./tables.ts";

export interface Account {
  readonly id: number;
  readonly name: string;
  readonly role: AccountRole;
}

const TOKEN_PREFIX = "crt_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Creates an account and answers its token, shown this once. */
export async function createAccount(db: Kysely<RegistryTables>, name: string, role: AccountRole): Promise<{ account: Account; token: string }> {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(name)) {
    throw new CorralError(ErrorCode.REGISTRY_INVALID, `account name must be 1 to 64 letters, digits, ".", "_" or "-", got ${JSON.stringify(name)}`);
  }
  if (role !== "publisher" && role !== "reviewer") {
    throw new CorralError(ErrorCode.REGISTRY_INVALID, `role must be "publisher" or "reviewer", got ${JSON.stringify(role)}`);
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const row = await db.insertInto("accounts").values({ name, role, token_hash: hashToken(token) })
    .onConflict((oc) => oc.column("name").doNothing())
    .returning(["id", "name", "role"]).executeTakeFirst();
  if (row === undefined) throw new CorralError(ErrorCode.REGISTRY_CONFLICT, `an account named "${name}" exists already`);
  return { account: row, token };
}

/** The account behind `Authorization: Bearer <token>`, or null. */
export async function accountForToken(db: Kysely<RegistryTables>, token: string): Promise<Account | null> {
  const row = await db.selectFrom("accounts").select(["id", "name", "role"]).where("token_hash", "=", hashToken(token)).executeTakeFirst();
  return row ?? null;
}
