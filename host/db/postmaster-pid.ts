/** Reads Postgres' lock file (postmaster.pid) to tell a running server from a stale leftover. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** What postmaster.pid says, and whether its process is a live Postgres. */
export interface PostmasterLock {
  readonly file: string;
  readonly pid: number;
  /** The port the server listens on, when the file names one. */
  readonly port: number | undefined;
  /** False when the pid is gone, or now belongs to something that is not Postgres (a reused pid). */
  readonly alive: boolean;
}

/**
 * The lock file of the cluster in `dataDir`, or undefined when there is none.
 *
 * @example
 * ```ts
 * const lock = await readPostmasterLock(".corral/postgres");
 * if (lock?.alive) console.log(`in use by pid ${lock.pid}`);
 * ```
 */
export async function readPostmasterLock(dataDir: string): Promise<PostmasterLock | undefined> {
  const file = join(dataDir, "postmaster.pid");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  // Line 1: the postmaster's pid; line 4: its port (see Postgres' miscadmin.h, LOCK_FILE_LINE_*).
  const lines = text.split("\n");
  const pid = Number.parseInt(lines[0] ?? "", 10);
  const port = Number.parseInt(lines[3] ?? "", 10);
  return Object.freeze({
    file,
    pid,
    port: Number.isInteger(port) ? port : undefined,
    alive: Number.isInteger(pid) && pid > 0 && (await isPostgresProcess(pid)),
  });
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user, which a postmaster may well do.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return (await readFile(`/proc/${pid}/comm`, "utf8")).trim() === "postgres";
  } catch {
    // No /proc (not Linux): a live pid is all we can know.
    return true;
  }
}
