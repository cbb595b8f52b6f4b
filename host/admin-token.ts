/**
 * The admin API's bearer token: CORRAL_ADMIN_TOKEN when set, else a random token created once in
 * `<dataDir>/admin-token` (mode 0600), so the admin API is never open by default.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CorralError, ErrorCode } from "../schemas/errors.ts";

/** Shorter tokens are guessable; the generated ones have 43 characters. */
const MIN_TOKEN_CHARS = 32;

export const ADMIN_TOKEN_FILE = "admin-token";

export async function loadAdminToken(dataDir: string, env: Readonly<Record<string, string | undefined>>): Promise<{ token: string; source: string }> {
  if (env.CORRAL_ADMIN_TOKEN !== undefined && env.CORRAL_ADMIN_TOKEN !== "") {
    return { token: checked(env.CORRAL_ADMIN_TOKEN, "CORRAL_ADMIN_TOKEN"), source: "CORRAL_ADMIN_TOKEN" };
  }
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  let existing: string | undefined;
  try {
    existing = (await readFile(file, "utf8")).trim();
  } catch {
    // not created yet
  }
  if (existing !== undefined) return { token: checked(existing, file), source: file };
  const token = randomBytes(32).toString("base64url");
  // "wx": two hosts starting at once must not overwrite each other's token.
  try {
    await writeFile(file, token + "\n", { mode: 0o600, flag: "wx" });
    return { token, source: file };
  } catch {
    return { token: checked((await readFile(file, "utf8")).trim(), file), source: file };
  }
}

function checked(token: string, source: string): string {
  if (token.length < MIN_TOKEN_CHARS) {
    throw new CorralError(ErrorCode.ENVIRONMENT,
      `the admin token in ${source} has ${token.length} characters; use at least ${MIN_TOKEN_CHARS} ` +
        `(or delete ${ADMIN_TOKEN_FILE} in the data folder and the host makes a new one)`);
  }
  return token;
}
