/**
 * The error a plugin's database call fails with: Postgres' own message and SQLSTATE, the way
 * node-postgres reports them.
 *
 * @module
 */

/**
 * A statement (or a transaction step) failed. Like node-postgres' `DatabaseError`, `message` is
 * Postgres' own and `code` its five-character SQLSTATE, so code written for pg branches the same
 * way (`23505` unique violation, `42501` insufficient privilege, `57014` statement timeout…).
 *
 * When the host could not run the statement at all, Postgres has no say and `code` is the
 * host's stable Corral code instead: `CORRAL_E_DB_UNAVAILABLE` (no connection in time, the
 * database is down), `CORRAL_E_DB_TOO_MANY_QUERIES` (the plugin's cap on statements in flight),
 * `CORRAL_E_DB_TRANSACTION_UNKNOWN`. `corralCode` always holds the Corral code
 * (`CORRAL_E_DB_QUERY` for Postgres' refusals).
 *
 * @example
 * ```ts
 * import { DatabaseError } from "@corral/sdk";
 *
 * try {
 *   await ctx.db.insertInto("tags").values({ name: "x" }).execute();
 * } catch (error) {
 *   if (error instanceof DatabaseError && error.code === "23505") console.log("already there");
 *   else throw error;
 * }
 * ```
 */
export class DatabaseError extends Error {
  /** Postgres' SQLSTATE (e.g. "23505"), or a `CORRAL_E_DB_…` code when Postgres sent none. */
  readonly code: string;
  /** The Corral error code the host answered with, e.g. "CORRAL_E_DB_QUERY". */
  readonly corralCode: string;

  constructor(message: string, code: string, corralCode: string) {
    super(message);
    this.name = "DatabaseError";
    this.code = code;
    this.corralCode = corralCode;
  }
}
