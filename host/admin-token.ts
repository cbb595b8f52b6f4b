/**
 * The admin API's bearer token: CORRAL_ADMIN_TOKEN when set, else a random token created once in
 * `<dataDir>/admin-token` (mode 0600), so the admin API is never open by default.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const ADMIN_TOKEN_FILE = "admin-token";

export async function loadAdminToken(dataDir: string, env: Readonly<Record<string, string | undefined>>): Promise<{ token: string; source: string }> {
  if (env.CORRAL_ADMIN_TOKEN) return { token: env.CORRAL_ADMIN_TOKEN, source: "CORRAL_ADMIN_TOKEN" };
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const token = (await readFile(file, "utf8")).trim();
    if (token.length >= 32) return { token, source: file };
  } catch {
    // not created yet
  }
  const token = randomBytes(32).toString("base64url");
  // "wx": two hosts starting at once must not overwrite each other's token.
  try {
    await writeFile(file, token + "\n", { mode: 0o600, flag: "wx" });
    return { token, source: file };
  } catch {
    return { token: (await readFile(file, "utf8")).trim(), source: file };
  }
}
