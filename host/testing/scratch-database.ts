/**
 * A database of its own for one harness run, on the Postgres server of a given URL: the harness's
 * host keeps its tables, its plugin's schema and any installed versions there, apart from every
 * other host on that server, and dropping it leaves nothing behind. Roles are the server's, not a
 * database's, so the plugin roles this run created are dropped too (and only those).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { pluginDatabaseNames } from "../db/provision.ts";

/** A created scratch database. */
export interface ScratchDatabase {
  /** The server URL with the scratch database's name in it. */
  readonly url: string;
  readonly name: string;
  /** Drops the database and the roles of `plugins` that did not exist before it was created. */
  drop(): Promise<void>;
}

/**
 * Creates `corral_harness_<pid>_<random>` on the server of `serverUrl` (a superuser connection).
 * `plugins` names the plugins whose roles the run may create.
 *
 * @throws CorralError DB_UNAVAILABLE when the server cannot be reached or refuses.
 */
export async function createScratchDatabase(serverUrl: string, plugins: readonly string[]): Promise<ScratchDatabase> {
  const name = `corral_harness_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  let rolesBefore: Set<string>;
  const roles = plugins.map((p) => pluginDatabaseNames(p).role);
  try {
    await admin.connect();
    rolesBefore = new Set((await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])", [roles])).rows.map((r) => r.rolname));
    // template0: nobody is ever connected to it, so parallel runs never collide on the template.
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
  } catch (error) {
    throw new CorralError(ErrorCode.DB_UNAVAILABLE,
      `cannot create a scratch database on ${describeServer(serverUrl)}: ${(error as Error).message}; the URL needs a superuser (or a role with CREATEDB and CREATEROLE)`, { cause: error });
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
        for (const role of roles) {
          if (!rolesBefore.has(role)) await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
        }
      } finally {
        await client.end();
      }
    },
  };
}

/** host:port/database of a URL, never its password. */
function describeServer(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "DATABASE_URL (not a valid URL)";
  }
}
