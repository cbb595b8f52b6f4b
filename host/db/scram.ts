/** SCRAM-SHA-256 password verifiers, so that CREATE/ALTER ROLE never carries a password in clear. */
import { createHash, createHmac, pbkdf2, randomBytes } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

/** Postgres' own default (`scram_iterations`). */
const ITERATIONS = 4096;

/**
 * The verifier Postgres stores for `password` (RFC 5802/7677, Postgres' text form
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`). Postgres accepts it in
 * `PASSWORD '…'` as already encrypted, so the password itself never reaches the server's
 * statement log (`log_statement = 'ddl'` would print it) or `pg_stat_activity`.
 *
 * Only for ASCII passwords (the derived ones are base64url), for which SASLprep changes nothing.
 *
 * @example
 * ```ts
 * await client.query(`ALTER ROLE x PASSWORD ${escapeLiteral(await scramVerifier(password))}`);
 * ```
 */
export async function scramVerifier(password: string): Promise<string> {
  if (!/^[\x21-\x7e]+$/.test(password)) throw new RangeError("scramVerifier takes printable ASCII passwords only");
  const salt = randomBytes(16);
  const salted = await pbkdf2Async(password, salt, ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest("base64");
  const serverKey = createHmac("sha256", salted).update("Server Key").digest("base64");
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString("base64")}$${storedKey}:${serverKey}`;
}
