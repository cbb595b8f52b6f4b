/**
 * Registry tokens saved by `corral login`: one JSON file under the user's config folder
 * ($XDG_CONFIG_HOME/corral/credentials.json, else ~/.config/corral/credentials.json), tokens by
 * registry URL. Written with mode 0600 in a 0700 folder; a file that group or others can read is
 * refused rather than used, as ssh does with keys: the token in it may have been read already.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";

export interface SavedToken {
  readonly token: string;
  /** The account the registry said the token belongs to, at login. */
  readonly account: string;
  readonly savedAt: string;
}

interface CredentialsFile {
  registries: Record<string, SavedToken>;
}

/** Where the credentials live for this environment. */
export function credentialsPath(env: Readonly<Record<string, string | undefined>>): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "corral", "credentials.json");
}

/**
 * The file's registries; none when it does not exist. `forgetting`: for logout, which rewrites
 * the file with mode 0600 and so may read one that is too open.
 */
async function readCredentials(path: string, forgetting = false): Promise<CredentialsFile> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return { registries: {} };
  if ((info.mode & 0o077) !== 0 && !forgetting) {
    throw new CorralError(ErrorCode.ENVIRONMENT,
      `${path} can be read by other users (mode ${(info.mode & 0o777).toString(8).padStart(4, "0")}), so its tokens are not used: ` +
      `chmod 600 ${path} if nobody else could have read it; else corral logout, have the registry's operator replace the token and log in again`);
  }
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<CredentialsFile>;
    if (typeof parsed.registries !== "object" || parsed.registries === null) throw new Error("no \"registries\" object");
    return { registries: parsed.registries };
  } catch (error) {
    throw new CorralError(ErrorCode.ENVIRONMENT, `${path} is not a credentials file corral wrote (${(error as Error).message}): remove it and log in again`);
  }
}

async function writeCredentials(path: string, file: CredentialsFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Written aside, then renamed: a crash never leaves half a file, and the mode is set at creation.
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** The token saved for `url`, if any. @throws CorralError when the file is readable by others or malformed. */
export async function savedToken(path: string, url: string): Promise<SavedToken | undefined> {
  return (await readCredentials(path)).registries[url];
}

export async function saveToken(path: string, url: string, token: SavedToken): Promise<void> {
  const file = await readCredentials(path);
  file.registries[url] = token;
  await writeCredentials(path, file);
}

/** Forgets the token for `url`; false when there was none. */
export async function forgetToken(path: string, url: string): Promise<boolean> {
  const file = await readCredentials(path, true);
  if (file.registries[url] === undefined) return false;
  delete file.registries[url];
  await writeCredentials(path, file);
  return true;
}
