/** Where a configuration's database server is, found without connecting to it (for the policy's deny list). */
import { join } from "node:path";
import pg from "pg";
import { readPostmasterLock } from "../db/postmaster-pid.ts";
import type { Endpoint } from "../runtime-denies.ts";

/**
 * DATABASE_URL's host and port, or those of the embedded server running in `dataDir`; undefined
 * when neither is known (no URL and no embedded server running: nothing to protect).
 */
export async function databaseTarget(databaseUrl: string | undefined, dataDir: string): Promise<Endpoint | undefined> {
  if (databaseUrl !== undefined) {
    // pg's own parser, with its PG* defaults, as the host uses; the constructor does not connect.
    const parsed = new pg.Client({ connectionString: databaseUrl });
    return { host: parsed.host, port: parsed.port };
  }
  const lock = await readPostmasterLock(join(dataDir, "postgres"));
  return lock?.alive === true && lock.port !== undefined ? { host: "127.0.0.1", port: lock.port } : undefined;
}
