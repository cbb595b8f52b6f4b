/**
 * A database of its own for one harness run, on the Postgres server of a given URL: the harness's
 * host keeps its tables, its plugin's schema and any installed versions there, apart from every
 * other host on that server, and dropping it leaves nothing behind. Roles are the server's, not a
 * database's, so the plugin roles this run created (named with the scratch database's tag) are
 * dropped too, and only those.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pg from "pg";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { databaseTag, pluginDatabaseNames } from "../db/provision.ts";

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
 * `plugins` names the plugins whose roles the run may create. The database's comment records who
 * made it (machine, pid) and those roles, so a later run can drop it if this one dies first
 * (dropStaleScratchDatabases).
 *
 * @throws CorralError DB_UNAVAILABLE when the server cannot be reached or refuses.
 */
export async function createScratchDatabase(serverUrl: string, plugins: readonly string[]): Promise<ScratchDatabase> {
  const name = `corral_harness_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  let rolesBefore: Set<string>;
  let roles: string[];
  try {
    await admin.connect();
    // template0: nobody is ever connected to it, so parallel runs never collide on the template.
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
    // The plugins' roles carry the new database's tag, so they are this run's alone.
    const { rows } = await admin.query<{ oid: string }>("SELECT oid::text AS oid FROM pg_database WHERE datname = $1", [name]);
    const tag = databaseTag(rows[0]!.oid, name);
    roles = plugins.map((p) => pluginDatabaseNames(p, tag).role);
    rolesBefore = new Set((await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])", [roles])).rows.map((r) => r.rolname));
    const owner: ScratchOwner = { host: hostname(), pid: process.pid, roles: roles.filter((r) => !rolesBefore.has(r)) };
    await admin.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(JSON.stringify(owner))}`);
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

/** Who made a scratch database, kept as its comment. */
interface ScratchOwner {
  readonly host: string;
  readonly pid: number;
  /** Plugin roles that did not exist when it was made: the run's to drop. */
  readonly roles: readonly string[];
}

const SCRATCH_NAME = /^corral_harness_(\d+)_[0-9a-f]+$/;

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: a process of another user has that pid; it is alive.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Drops the scratch databases earlier runs on this machine left behind (a test process killed
 * with SIGKILL never runs stop()), and the plugin roles they had created. A database is stale
 * when the process that made it is gone and nobody is connected to it; one made on another
 * machine (its comment says which) is left alone, as its pid means nothing here. A role still
 * used elsewhere makes DROP ROLE fail, and is kept. Answers the names of the databases dropped.
 */
export async function dropStaleScratchDatabases(serverUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  const dropped: string[] = [];
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; comment: string | null; connections: string }>(
      `SELECT d.datname AS name, shobj_description(d.oid, 'pg_database') AS comment,
              (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname) AS connections
         FROM pg_database d WHERE d.datname LIKE 'corral\\_harness\\_%'`);
    const here = hostname();
    for (const row of rows) {
      const pid = Number(SCRATCH_NAME.exec(row.name)?.[1]);
      if (!Number.isSafeInteger(pid) || Number(row.connections) > 0) continue;
      const owner = parseOwner(row.comment);
      // Without a comment (made before comments were written) the name's pid is all there is.
      if (owner !== undefined && (owner.host !== here || owner.pid !== pid)) continue;
      if (!processGone(pid)) continue;
      try {
        // No FORCE: if a client connected since the check, the drop fails and the database stays.
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(row.name)}`);
      } catch {
        continue;
      }
      dropped.push(row.name);
      for (const role of owner?.roles ?? []) {
        await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`).catch(() => undefined);
      }
    }
  } finally {
    await client.end();
  }
  return dropped;
}

function parseOwner(comment: string | null): ScratchOwner | undefined {
  if (comment === null) return undefined;
  try {
    const value = JSON.parse(comment) as Partial<ScratchOwner>;
    if (typeof value.host !== "string" || typeof value.pid !== "number" || !Array.isArray(value.roles)) return undefined;
    return { host: value.host, pid: value.pid, roles: value.roles.filter((r): r is string => typeof r === "string" && r.startsWith("plugin_")) };
  } catch {
    return undefined;
  }
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
