/** The host's secret, and the database passwords derived from it so that none is ever stored. */
import { createHmac, randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

/** The secret's file inside the data folder. */
export const HOST_SECRET_FILE = "host-secret";

/** Shortest CORRAL_SECRET accepted: 32 characters of base64 carry 192 bits. */
const MIN_SECRET_LENGTH = 32;

/** The secret, and where it came from (for the start-up log line). */
export interface HostSecret {
  /** The HMAC key: the UTF-8 bytes of the secret's text. */
  readonly key: Uint8Array;
  readonly source: "env" | "file";
  /** True when this call created the file (first start). */
  readonly created: boolean;
}

/**
 * The host secret: `CORRAL_SECRET` when set, else the text in `<dataDir>/host-secret`, which is
 * created on first use (32 random bytes as base64url, mode 0600). Both are read the same way (the
 * text is the key), so copying the file's content into CORRAL_SECRET changes nothing.
 *
 * @throws CorralError ENVIRONMENT when CORRAL_SECRET is too short or the file is empty.
 *
 * @example
 * ```ts
 * const secret = await loadHostSecret(".corral", process.env);
 * const password = pluginDatabasePassword(secret.key, "notes");
 * ```
 */
export async function loadHostSecret(dataDir: string, env: Readonly<Record<string, string | undefined>>): Promise<HostSecret> {
  const fromEnv = env.CORRAL_SECRET;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (fromEnv.trim().length < MIN_SECRET_LENGTH) {
      throw new CorralError(ErrorCode.ENVIRONMENT,
        `CORRAL_SECRET must be at least ${MIN_SECRET_LENGTH} characters, got ${fromEnv.trim().length}; generate one with \`openssl rand -base64 32\``);
    }
    return Object.freeze({ key: new TextEncoder().encode(fromEnv.trim()), source: "env", created: false });
  }
  const file = join(dataDir, HOST_SECRET_FILE);
  const created = await createOnce(dataDir, file);
  const text = (await readFile(file, "utf8")).trim();
  if (text.length < MIN_SECRET_LENGTH) {
    throw new CorralError(ErrorCode.ENVIRONMENT,
      `${file} holds ${text.length} characters, fewer than the ${MIN_SECRET_LENGTH} a host secret needs; ` +
      "restore it from a backup (the database passwords derive from it), or delete it to make a new one");
  }
  return Object.freeze({ key: new TextEncoder().encode(text), source: "file", created });
}

/**
 * The password of a plugin's database role: `HMAC-SHA256(secret, "plugin-db:" + name)`, base64url.
 * Derived on every start, so neither the database nor the data folder holds it.
 */
export function pluginDatabasePassword(secret: Uint8Array, pluginName: string): string {
  return derive(secret, `plugin-db:${pluginName}`);
}

/** The password of the embedded Postgres' superuser, derived the same way. */
export function embeddedAdminPassword(secret: Uint8Array): string {
  return derive(secret, "embedded-postgres:admin");
}

function derive(secret: Uint8Array, purpose: string): string {
  return createHmac("sha256", secret).update(purpose).digest("base64url");
}

/**
 * Writes a new secret unless the file exists. The secret goes to a private temp file that is then
 * hard-linked into place: link() fails when the name exists, so two hosts starting at once agree on
 * one secret and neither ever reads a half-written file.
 */
async function createOnce(dataDir: string, file: string): Promise<boolean> {
  await mkdir(dataDir, { recursive: true });
  try {
    await readFile(file);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(randomBytes(32).toString("base64url") + "\n");
    // Synced before it gets its name: a crash must not leave an empty secret behind.
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
