/** Creates (and purges) a plugin's own Postgres LOGIN role and schema, the unit of isolation. */
import { createHash } from "node:crypto";
import pg from "pg";
import type { ClientBase, Pool, PoolClient } from "pg";
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
  /**
   * The role the host recorded for this plugin (corral.plugin_databases), if any: it is kept, so an
   * installation made before role names carried the database's tag keeps its role and data.
   */
  readonly recordedRole?: string;
}

/** The names of what was provisioned. */
export interface PluginDatabaseNames {
  readonly role: string;
  readonly schema: string;
}

/** What {@linkcode provisionPluginDatabase} did. */
export interface ProvisionedDatabase extends PluginDatabaseNames {
  /**
   * Set when the plugin's objects in this database were moved off a role that another database of
   * the server also used (an old-style `plugin_<name>` shared by two installations): the role it
   * had before, which now belongs to the other database alone.
   */
  readonly movedFrom?: string;
}

/** Serialises provisioning between hosts that share a database ("corral" in ASCII). */
const PROVISION_LOCK = 0x636f7272616cn;

const PLUGIN_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const DATABASE_TAG = /^[0-9a-f]{8}$/;

/**
 * The tag of one database of a Postgres server, part of its plugins' role names: the first 8 hex
 * characters of SHA-256 over `<oid>:<name>` of its `pg_database` row. Roles are the server's,
 * schemas a database's: the tag keeps two databases' roles for one plugin apart. The OID tells a
 * dropped and re-created database of the same name apart; neither needs more than a server
 * connection (no superuser-only `pg_control_system()`). The tag only names new roles; the host
 * records the role it made, so a renamed database keeps its plugins' roles.
 */
export function databaseTag(oid: number | string, name: string): string {
  return createHash("sha256").update(`${oid}:${name}`).digest("hex").slice(0, 8);
}

/** The {@linkcode databaseTag} of the database `client` is connected to (one catalog query). */
export async function currentDatabaseTag(client: Pool | ClientBase): Promise<string> {
  const { rows } = await client.query<{ oid: string; name: string }>(
    "SELECT oid::text AS oid, datname AS name FROM pg_database WHERE datname = current_database()");
  return databaseTag(rows[0]!.oid, rows[0]!.name);
}

/**
 * The role and schema name of a plugin in the database tagged `tag` ({@linkcode databaseTag}): schema
 * `plugin_<name>` (schemas are per database), role `plugin_<name>_<tag>` (roles are per server), with
 * `-` as `_`. Manifest names have no `_`, so two plugins never map to one schema; a 40-character
 * name gives a 56-byte role, within Postgres' 63.
 *
 * @throws TypeError when `pluginName` is not a valid manifest name or `tag` not 8 hex characters.
 */
export function pluginDatabaseNames(pluginName: string, tag: string): PluginDatabaseNames {
  const schema = legacyRoleName(pluginName);
  if (!DATABASE_TAG.test(tag)) throw new TypeError(`not a database tag: ${JSON.stringify(tag)} (expected ${DATABASE_TAG.source})`);
  return Object.freeze({ role: `${schema}_${tag}`, schema });
}

/**
 * `plugin_<name>`: the schema's name, and the role's name before roles carried the database's tag
 * (one role per plugin name for the whole server). Installations made then keep that role.
 *
 * @throws TypeError when `pluginName` is not a valid manifest name.
 */
export function legacyRoleName(pluginName: string): string {
  if (!PLUGIN_NAME.test(pluginName)) {
    throw new TypeError(`not a plugin name: ${JSON.stringify(pluginName)} (expected ${PLUGIN_NAME.source})`);
  }
  return `plugin_${pluginName.replaceAll("-", "_")}`;
}

/** Whether `role` is a name Corral gives `pluginName`'s role: `plugin_<name>` or `plugin_<name>_<tag>`. */
function isPluginRoleName(pluginName: string, role: string): boolean {
  const legacy = legacyRoleName(pluginName);
  return role === legacy || (role.startsWith(`${legacy}_`) && DATABASE_TAG.test(role.slice(legacy.length + 1)));
}

/**
 * Gives a plugin its own LOGIN role and a schema it owns, following DESIGN.md's recipe: no
 * superuser, no CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS, NOINHERIT, a connection limit,
 * search_path and timeouts set on the role, CONNECT on this database only, no temporary tables
 * and no CREATE in `public`.
 *
 * Which role: the recorded one (`recordedRole`), else the owner of the plugin's existing schema
 * when it has a plugin role's name, else a new `plugin_<name>_<tag>` ({@linkcode pluginDatabaseNames}).
 * A role found that way is kept unless another database of the server uses it too (an old-style
 * `plugin_<name>` two installations shared): then this database's objects move to the tagged role
 * (REASSIGN OWNED, in this database only) and the old role loses CONNECT here, keeping the other
 * database's. A role that another database uses, or that owns another schema here, is never
 * taken: that throws.
 *
 * Idempotent: a second run changes nothing but the password, limit and timeouts, and it re-asserts
 * the role's attributes and drops any role membership it finds (membership would let the plugin
 * `SET ROLE` out of its box). Runs in one transaction under an advisory lock, so two hosts
 * starting together do not race. The password is sent as a SCRAM verifier, never in clear.
 *
 * `REVOKE ALL ON DATABASE … FROM PUBLIC` also takes CONNECT away from other non-superuser roles
 * that relied on PUBLIC: give such roles CONNECT explicitly.
 *
 * @throws TypeError / RangeError for a bad name, recorded role or limit; Error when the role is
 *   another database's; pg's DatabaseError when Postgres refuses (e.g. the admin connection is not
 *   a superuser).
 *
 * @example
 * ```ts
 * const { role, schema } = await provisionPluginDatabase(adminPool, {
 *   pluginName: "notes", password, connectionLimit: 7, statementTimeoutMs: 30_000,
 *   idleInTransactionTimeoutMs: 60_000, database: "corral",
 * });
 * ```
 */
export async function provisionPluginDatabase(adminPool: Pool, options: ProvisionOptions): Promise<ProvisionedDatabase> {
  const schemaName = legacyRoleName(options.pluginName);
  if (options.recordedRole !== undefined && !isPluginRoleName(options.pluginName, options.recordedRole)) {
    throw new TypeError(`the recorded role of plugin "${options.pluginName}" is ${JSON.stringify(options.recordedRole)}, not a plugin role's name`);
  }
  const limit = wholeNumber(options.connectionLimit, "connectionLimit", 1);
  const statementTimeout = wholeNumber(options.statementTimeoutMs, "statementTimeoutMs", 0);
  const idleTimeout = wholeNumber(options.idleInTransactionTimeoutMs, "idleInTransactionTimeoutMs", 0);
  const verifier = await scramVerifier(options.password);
  const schema = pg.escapeIdentifier(schemaName);
  const database = pg.escapeIdentifier(options.database);
  const attributes = `LOGIN PASSWORD ${pg.escapeLiteral(verifier)} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ` +
    `NOBYPASSRLS NOINHERIT CONNECTION LIMIT ${limit}`;

  return await inLockedTransaction(adminPool, async (client) => {
    const tagged = pluginDatabaseNames(options.pluginName, await currentDatabaseTag(client)).role;
    const recorded = options.recordedRole !== undefined && await roleExists(client, options.recordedRole) ? options.recordedRole : undefined;
    const owner = await schemaOwner(client, schemaName);
    const current = recorded ?? (owner !== undefined && isPluginRoleName(options.pluginName, owner) ? owner : undefined);
    let roleName = current ?? tagged;
    let movedFrom: string | undefined;
    if (current !== undefined && current !== tagged && (await otherDatabasesOf(client, current)).length > 0) {
      roleName = tagged;
      movedFrom = current;
    }
    const elsewhere = await otherDatabasesOf(client, roleName);
    if (elsewhere.length > 0) {
      throw new Error(`role ${roleName} of plugin "${options.pluginName}" is also used by database ${elsewhere.join(", ")} of this server; ` +
        "it is not taken over: drop or rename it there, or purge the plugin in one of them");
    }
    const otherSchemas = await client.query<{ name: string }>(
      "SELECT nspname AS name FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = $1) AND nspname <> $2",
      [roleName, schemaName]);
    if (otherSchemas.rowCount !== 0) {
      throw new Error(`role ${roleName} owns schema ${otherSchemas.rows.map((r) => r.name).join(", ")} besides ${schemaName}; ` +
        `it is not given to plugin "${options.pluginName}"`);
    }

    const role = pg.escapeIdentifier(roleName);
    await client.query(await roleExists(client, roleName) ? `ALTER ROLE ${role} WITH ${attributes}` : `CREATE ROLE ${role} ${attributes}`);
    const memberships = await client.query<{ name: string }>(
      "SELECT r.rolname AS name FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = $1::regrole",
      [roleName],
    );
    for (const { name } of memberships.rows) await client.query(`REVOKE ${pg.escapeIdentifier(name)} FROM ${role}`);

    if (movedFrom !== undefined) {
      const previous = pg.escapeIdentifier(movedFrom);
      // This database's objects only (REASSIGN OWNED never reaches into other databases); the
      // other database keeps the old role with its own objects, grants and password.
      await client.query(`REASSIGN OWNED BY ${previous} TO ${role}`);
      await client.query(`REVOKE ALL ON DATABASE ${database} FROM ${previous}`);
      await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND datname = current_database()", [movedFrom]);
    }

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
    const names = { role: roleName, schema: schemaName };
    return Object.freeze(movedFrom === undefined ? names : { ...names, movedFrom });
  });
}

/**
 * Purges a plugin's database: ends its sessions, drops its schema with everything in it and its
 * role. For `uninstall --purge` only; a plain uninstall keeps both so a reinstall finds its data.
 * A no-op when there is nothing to drop.
 *
 * Only this database's role goes: the recorded one, the schema's owner, and `plugin_<name>_<tag>`
 * of this database, plus an old-style `plugin_<name>` that has CONNECT here. A role another
 * database of the server still uses (an old-style role two installations shared) is not dropped:
 * it loses CONNECT on this database and its sessions here, and keeps everything in the other one.
 *
 * @example
 * ```ts
 * await dropPluginDatabase(adminPool, "notes", recorded?.role);
 * ```
 */
export async function dropPluginDatabase(adminPool: Pool, pluginName: string, recordedRole?: string): Promise<void> {
  const schemaName = legacyRoleName(pluginName);
  if (recordedRole !== undefined && !isPluginRoleName(pluginName, recordedRole)) {
    throw new TypeError(`the recorded role of plugin "${pluginName}" is ${JSON.stringify(recordedRole)}, not a plugin role's name`);
  }
  await inLockedTransaction(adminPool, async (client) => {
    const tagged = pluginDatabaseNames(pluginName, await currentDatabaseTag(client)).role;
    const owner = await schemaOwner(client, schemaName);
    const ours = new Set([recordedRole, owner !== undefined && isPluginRoleName(pluginName, owner) ? owner : undefined, tagged]
      .filter((r): r is string => r !== undefined));
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schemaName)} CASCADE`);
    for (const roleName of new Set([...ours, schemaName])) {
      if (!(await roleExists(client, roleName))) continue;
      const role = pg.escapeIdentifier(roleName);
      // An old-style role is this database's only when it was given CONNECT here.
      if (!ours.has(roleName) && !(await hasConnectHere(client, roleName))) continue;
      if ((await otherDatabasesOf(client, roleName)).length > 0) {
        await client.query(`REVOKE ALL ON DATABASE ${pg.escapeIdentifier(await currentDatabase(client))} FROM ${role}`);
        await client.query("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1 AND datname = current_database()", [roleName]);
        continue;
      }
      // NOLOGIN first, so nothing reconnects between the terminate and the drop.
      await client.query(`ALTER ROLE ${role} NOLOGIN`);
      await client.query("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1", [roleName]);
      // Removes the role's grants (CONNECT on the database) and anything it still owns here.
      await client.query(`DROP OWNED BY ${role}`);
      await client.query(`DROP ROLE ${role}`);
    }
  });
}

async function roleExists(client: PoolClient, role: string): Promise<boolean> {
  return (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount !== 0;
}

async function schemaOwner(client: PoolClient, schema: string): Promise<string | undefined> {
  const { rows } = await client.query<{ owner: string }>(
    "SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1", [schema]);
  return rows[0]?.owner;
}

async function currentDatabase(client: PoolClient): Promise<string> {
  return (await client.query<{ name: string }>("SELECT current_database() AS name")).rows[0]!.name;
}

/**
 * The other databases of the server that `role` owns something in or has a privilege on (from
 * pg_shdepend: objects it owns or is granted in a database, and grants on databases themselves).
 */
async function otherDatabasesOf(client: PoolClient, role: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT DISTINCT db.datname AS name
       FROM pg_shdepend d
       JOIN pg_database db ON db.oid = CASE WHEN d.dbid = 0 AND d.classid = 'pg_database'::regclass THEN d.objid ELSE d.dbid END
      WHERE d.refclassid = 'pg_authid'::regclass
        AND d.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
        AND db.datname <> current_database()
      ORDER BY 1`, [role]);
  return rows.map((r) => r.name);
}

async function hasConnectHere(client: PoolClient, role: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `SELECT 1 FROM pg_database db, aclexplode(db.datacl) a
      WHERE db.datname = current_database() AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
        AND a.privilege_type = 'CONNECT'`, [role]);
  return rowCount !== 0;
}

async function inLockedTransaction<T>(adminPool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await adminPool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [PROVISION_LOCK]);
    const result = await work(client);
    await client.query("COMMIT");
    return result;
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
