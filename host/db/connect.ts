/** Opens the host's Postgres: the server at DATABASE_URL, or else the embedded one in the data folder. */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import type { ConnectionConfig, Pool } from "pg";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Logger } from "../logger.ts";
import { EMBEDDED_ADMIN_USER, startEmbeddedPostgres } from "./embedded-postgres.ts";
import { embeddedAdminPassword, loadHostSecret } from "./host-secret.ts";
import { survivePoolErrors } from "./pool-errors.ts";

/** Where the plugin pools connect: the admin's server and database, with each plugin's own role. */
export interface ConnectionInfo {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** TLS settings from DATABASE_URL (e.g. `?sslmode=require`), reused by the plugin pools. */
  readonly ssl?: ConnectionConfig["ssl"];
}

/** The host's database, open. */
export interface HostDatabase {
  /** "external": DATABASE_URL; "embedded": the server this host started. */
  readonly kind: "external" | "embedded";
  /**
   * A small pool logged in as the administrator (a superuser): host migrations, provisioning and
   * ending plugin sessions. Plugin SQL never runs on it.
   */
  readonly adminPool: Pool;
  readonly connectionInfo: ConnectionInfo;
  /** Ends the admin pool, then stops the embedded server if there is one. */
  close(): Promise<void>;
}

/** What {@linkcode openHostDatabase} needs. */
export interface OpenHostDatabaseOptions {
  /** The server to use; when empty or missing, the embedded Postgres is started. */
  readonly databaseUrl?: string;
  /** The host's data folder (CORRAL_DATA_DIR); the embedded cluster lives in `<dataDir>/postgres`. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** The host secret's key (see host-secret.ts); loaded from `dataDir` and CORRAL_SECRET when missing. */
  readonly hostSecret?: Uint8Array;
  /** The embedded server's preferred port; another free one is used when it is taken. */
  readonly embeddedPort?: number;
}

/** The embedded server's preferred port: off Postgres' 5432, which another server may hold. */
export const EMBEDDED_DEFAULT_PORT = 54329;
/** The database the host creates in the embedded server. */
export const EMBEDDED_DATABASE = "corral";
/** Admin connections: migrations, provisioning and cancels only, so a few are plenty. */
const ADMIN_POOL_SIZE = 4;

/**
 * Opens the host's database.
 *
 * @throws CorralError DB_UNAVAILABLE when the server cannot be reached or started (the message
 *   names host, port and database, never the password); DATA_DIR_LOCKED when another host's
 *   embedded Postgres runs in the same data folder.
 *
 * @example
 * ```ts
 * const db = await openHostDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: ".corral", logger });
 * try { await migrateHostSchema(db.adminPool, logger); } finally { await db.close(); }
 * ```
 */
export async function openHostDatabase(options: OpenHostDatabaseOptions): Promise<HostDatabase> {
  return options.databaseUrl ? openExternal(options.databaseUrl, options.logger) : openEmbedded(options);
}

async function openExternal(databaseUrl: string, logger: Logger): Promise<HostDatabase> {
  // pg's own parser (and its PG* environment defaults), without connecting.
  const parsed = new pg.Client({ connectionString: databaseUrl });
  const where = `${parsed.host}:${parsed.port}/${parsed.database ?? parsed.user}`;
  const adminPool = createAdminPool({ connectionString: databaseUrl }, logger);
  const { database, superuser, user } = await probe(adminPool, () =>
    `cannot connect to the database of DATABASE_URL (${where})`, "check that the server runs and the URL is right, or unset DATABASE_URL to use the embedded Postgres");
  if (!superuser) {
    logger.warn(`the DATABASE_URL user "${user}" is not a superuser: creating plugin roles and schemas will fail`);
  }
  logger.info(`using the Postgres server of DATABASE_URL (${where})`);
  const connectionInfo = Object.freeze({
    host: parsed.host,
    port: parsed.port,
    database,
    // At run time pg keeps the parsed TLS options here (an object for sslmode=verify-full…), not just a flag.
    ...(parsed.ssl ? { ssl: parsed.ssl as ConnectionConfig["ssl"] } : {}),
  });
  const close = async () => {
    if (!adminPool.ending) await adminPool.end();
  };
  return Object.freeze({ kind: "external" as const, adminPool, connectionInfo, close });
}

async function openEmbedded(options: OpenHostDatabaseOptions): Promise<HostDatabase> {
  const { dataDir, logger } = options;
  await mkdir(dataDir, { recursive: true });
  const secret = options.hostSecret ?? (await loadHostSecret(dataDir, process.env)).key;
  const password = embeddedAdminPassword(secret);
  const dir = join(dataDir, "postgres");
  const server = await startEmbeddedPostgres({ dir, password, preferredPort: options.embeddedPort ?? EMBEDDED_DEFAULT_PORT, logger });
  const connection = { host: "127.0.0.1", port: server.port, user: EMBEDDED_ADMIN_USER, password };
  let adminPool: Pool | undefined;
  try {
    await ensureDatabase(connection, EMBEDDED_DATABASE, dir);
    adminPool = createAdminPool({ ...connection, database: EMBEDDED_DATABASE }, logger);
    await probe(adminPool, () => `cannot connect to the embedded Postgres in ${dir}`, "see the log above");
  } catch (error) {
    if (adminPool !== undefined && !adminPool.ending) await adminPool.end();
    await server.stop();
    throw error;
  }
  const pool = adminPool;
  const connectionInfo = Object.freeze({ host: connection.host, port: server.port, database: EMBEDDED_DATABASE });
  return Object.freeze({
    kind: "embedded" as const,
    adminPool: pool,
    connectionInfo,
    close: async () => {
      if (pool.ending) return;
      await pool.end();
      await server.stop();
    },
  });
}

function createAdminPool(config: pg.PoolConfig, logger: Logger): Pool {
  const pool = new pg.Pool({ ...config, max: ADMIN_POOL_SIZE, application_name: "corral-host", idleTimeoutMillis: 30_000 });
  survivePoolErrors(pool, (error) => logger.warn("an idle admin database connection failed", { error: error.message }));
  return pool;
}

async function probe(pool: Pool, what: () => string, todo: string): Promise<{ database: string; user: string; superuser: boolean }> {
  try {
    const { rows } = await pool.query<{ database: string; user: string; superuser: boolean }>(
      "SELECT current_database() AS database, current_user AS user, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user",
    );
    return rows[0] ?? { database: "", user: "", superuser: false };
  } catch (error) {
    if (!pool.ending) await pool.end().catch(() => undefined);
    throw new CorralError(ErrorCode.DB_UNAVAILABLE, `${what()}: ${(error as Error).message}; ${todo}`, { cause: error });
  }
}

/** Creates `name` unless it exists; a wrong password here means the host secret changed. */
async function ensureDatabase(connection: pg.ClientConfig, name: string, dir: string): Promise<void> {
  const client = new pg.Client({ ...connection, database: "postgres" });
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: string }).code === "28P01") {
      throw new CorralError(ErrorCode.DB_UNAVAILABLE,
        `cannot log in to the embedded Postgres in ${dir}: its superuser password derives from the host secret, ` +
        "which is not the one the folder was initialised with. Restore the data folder's host-secret file (or the " +
        `CORRAL_SECRET it ran with), or move ${dir} away to start with an empty database`, { cause: error });
    }
    throw new CorralError(ErrorCode.DB_UNAVAILABLE, `cannot connect to the embedded Postgres in ${dir}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const existing = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
