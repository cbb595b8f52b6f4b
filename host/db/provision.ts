/** Creates (and purges) a plugin's own Postgres LOGIN role and schema, the unit of isolation. */
import pg from "pg";
import type { Pool, PoolClient } from "pg";
import { scramVerifier } from "./scram.ts";

/** What {@linkcode provisionPluginDatabase} needs. */
export interface ProvisionOptions {
  /** The manifest's name (`^[a-z][a-z0-9-]{0,38}[a-z0-9]$`). */
  readonly pluginName: string;
  /** Set on every run, so a rotated host secret takes effect at the next start. */
  readonly password: string;
  /** The role's CONNECTION LIMIT: room for two plugin pools (a swap) plus a little headroom (pool-size.ts). */
  readonly connectionLimit: number;
  /** The role's default `statement_timeout`, in milliseconds. */
  readonly statementTimeoutMs: number;
  /** The role's default `idle_in_transaction_session_timeout`, in milliseconds. */
  readonly idleInTransactionTimeoutMs: number;
  /** The database the plugin may connect to (the admin pool's database). */
  readonly database: string;
}

/** The names of what was provisioned. */
export interface PluginDatabaseNames {
  readonly role: string;
  readonly schema: string;
}

/** Serialises provisioning between hosts that share a database ("corral" in ASCII). */
const PROVISION_LOCK = 0x636f7272616cn;

const PLUGIN_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

/**
 * The role and schema name of a plugin: `plugin_` and its name with `-` as `_`. Manifest names
 * have no `_`, so two plugins never map to one name.
 *
 * @throws TypeError when `pluginName` is not a valid manifest name.
 */
export function pluginDatabaseNames(pluginName: string): PluginDatabaseNames {
  if (!PLUGIN_NAME.test(pluginName)) {
    throw new TypeError(`not a plugin name: ${JSON.stringify(pluginName)} (expected ${PLUGIN_NAME.source})`);
  }
  const name = `plugin_${pluginName.replaceAll("-", "_")}`;
  return Object.freeze({ role: name, schema: name });
}

/**
 * Gives a plugin its own LOGIN role and a schema it owns, following DESIGN.md's recipe: no
 * superuser, no CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS, NOINHERIT, a connection limit,
 * search_path and timeouts set on the role, CONNECT on this database only, no temporary tables
 * and no CREATE in `public`.
 *
 * Idempotent: a second run changes nothing but the password, limit and timeouts, and it re-asserts
 * the role's attributes and drops any role membership it finds (membership would let the plugin
 * `SET ROLE` out of its box). Runs in one transaction under an advisory lock, so two hosts
 * starting together do not race. The password is sent as a SCRAM verifier, never in clear.
 *
 * `REVOKE ALL ON DATABASE … FROM PUBLIC` also takes CONNECT away from other non-superuser roles
 * that relied on PUBLIC: give such roles CONNECT explicitly.
 *
 * @throws TypeError / RangeError for a bad name or limit; pg's DatabaseError when Postgres refuses
 *   (e.g. the admin connection is not a superuser).
 *
 * @example
 * ```ts
 * const { role, schema } = await provisionPluginDatabase(adminPool, {
 *   pluginName: "notes", password, connectionLimit: 7, statementTimeoutMs: 30_000,
 *   idleInTransactionTimeoutMs: 60_000, database: "corral",
 * });
 * ```
 */
export async function provisionPluginDatabase(adminPool: Pool, options: ProvisionOptions): Promise<PluginDatabaseNames> {
  const names = pluginDatabaseNames(options.pluginName);
  const limit = wholeNumber(options.connectionLimit, "connectionLimit", 1);
  const statementTimeout = wholeNumber(options.statementTimeoutMs, "statementTimeoutMs", 0);
  const idleTimeout = wholeNumber(options.idleInTransactionTimeoutMs, "idleInTransactionTimeoutMs", 0);
  const verifier = await scramVerifier(options.password);
  const role = pg.escapeIdentifier(names.role);
  const schema = pg.escapeIdentifier(names.schema);
  const database = pg.escapeIdentifier(options.database);
  const attributes = `LOGIN PASSWORD ${pg.escapeLiteral(verifier)} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ` +
    `NOBYPASSRLS NOINHERIT CONNECTION LIMIT ${limit}`;

  await inLockedTransaction(adminPool, async (client) => {
    const existing = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [names.role]);
    await client.query(existing.rowCount === 0 ? `CREATE ROLE ${role} ${attributes}` : `ALTER ROLE ${role} WITH ${attributes}`);
    const memberships = await client.query<{ name: string }>(
      "SELECT r.rolname AS name FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = $1::regrole",
      [names.role],
    );
    for (const { name } of memberships.rows) await client.query(`REVOKE ${pg.escapeIdentifier(name)} FROM ${role}`);

    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role}`);
    // IF NOT EXISTS keeps an existing schema's owner; the plugin must own its schema to migrate it.
    await client.query(`ALTER SCHEMA ${schema} OWNER TO ${role}`);
    await client.query(`ALTER ROLE ${role} SET search_path = ${schema}`);
    await client.query(`ALTER ROLE ${role} SET statement_timeout = ${statementTimeout}`);
    await client.query(`ALTER ROLE ${role} SET idle_in_transaction_session_timeout = ${idleTimeout}`);

    await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
    await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
    await client.query(`REVOKE TEMPORARY ON DATABASE ${database} FROM ${role}`);
    const publicSchema = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = 'public'");
    if (publicSchema.rowCount !== 0) await client.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  });
  return names;
}

/**
 * Purges a plugin's database: ends its sessions, drops its schema with everything in it and its
 * role. For `uninstall --purge` only; a plain uninstall keeps both so a reinstall finds its data.
 * A no-op when there is nothing to drop.
 *
 * @example
 * ```ts
 * await dropPluginDatabase(adminPool, "notes");
 * ```
 */
export async function dropPluginDatabase(adminPool: Pool, pluginName: string): Promise<void> {
  const names = pluginDatabaseNames(pluginName);
  const role = pg.escapeIdentifier(names.role);
  await inLockedTransaction(adminPool, async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(names.schema)} CASCADE`);
    const existing = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [names.role]);
    if (existing.rowCount === 0) return;
    // NOLOGIN first, so nothing reconnects between the terminate and the drop.
    await client.query(`ALTER ROLE ${role} NOLOGIN`);
    await client.query("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1", [names.role]);
    // Removes the role's grants (CONNECT on the database) and anything it still owns here.
    await client.query(`DROP OWNED BY ${role}`);
    await client.query(`DROP ROLE ${role}`);
  });
}

async function inLockedTransaction(adminPool: Pool, work: (client: PoolClient) => Promise<void>): Promise<void> {
  const client = await adminPool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [PROVISION_LOCK]);
    await work(client);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => { broken = true; });
    throw error;
  } finally {
    // A connection that could not even roll back is not given back to the pool.
    client.release(broken);
  }
}

function wholeNumber(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}
