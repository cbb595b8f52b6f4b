/** The error a plugin gets back when Postgres refuses its SQL: Postgres' own message and SQLSTATE. */
import pg from "pg";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

/**
 * A statement failed in Postgres. `message` is Postgres' own (e.g. `permission denied for schema
 * plugin_b`), `sqlState` its five-character code (e.g. `42501`), which the protocol's
 * `Error.sqlState` carries to the plugin so that code can branch on it as it would with pg.
 *
 * @example
 * ```ts
 * try { await db.query({ sql: "SELECT * FROM nope", paramsJson: "[]", transactionId: 0 }); }
 * catch (error) { if (error instanceof DatabaseError && error.sqlState === "42P01") { … } }
 * ```
 */
export class DatabaseError extends CorralError {
  /** Postgres' SQLSTATE, e.g. "42501" (insufficient privilege). */
  readonly sqlState: string;

  constructor(message: string, sqlState: string, options?: { cause?: unknown }) {
    super(ErrorCode.DB_QUERY_FAILED, message, options);
    this.name = "DatabaseError";
    this.sqlState = sqlState;
  }

  /** The wire form: code, message and SQLSTATE. */
  override toJSON(): { code: typeof ErrorCode.DB_QUERY_FAILED; message: string; sqlState: string } {
    return { code: ErrorCode.DB_QUERY_FAILED, message: this.message, sqlState: this.sqlState };
  }
}

/** True for an error Postgres sent (as opposed to a broken or refused connection). */
export function isPostgresError(error: unknown): error is pg.DatabaseError {
  return error instanceof pg.DatabaseError;
}
