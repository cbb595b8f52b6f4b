/** Tests for provisioning a plugin's role and schema (host/db/provision.ts) against DATABASE_URL. */
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type pg from "pg";
import { currentDatabaseTag, databaseTag, dropPluginDatabase, legacyRoleName, pluginDatabaseNames, provisionPluginDatabase } from "../../../host/db/provision.ts";
import type { ProvisionOptions } from "../../../host/db/provision.ts";
import { pluginDatabasePassword } from "../../../host/db/host-secret.ts";
import { adminPool, requireDatabaseUrl, uniquePluginName } from "../../helpers/database.ts";

const url = requireDatabaseUrl("provision.test.ts");
const secret = new TextEncoder().encode("provision-test-secret-0123456789abcdef");
let admin: pg.Pool;
let database = "";
const created: string[] = [];

test.before(async () => {
  admin = adminPool(url);
  database = (await admin.query<{ db: string }>("SELECT current_database() AS db")).rows[0].db;
});
test.after(async () => {
  for (const name of created) await dropPluginDatabase(admin, name);
  await admin.end();
});

function options(pluginName: string, overrides: Partial<ProvisionOptions> = {}): ProvisionOptions {
  if (!created.includes(pluginName)) created.push(pluginName);
  return {
    pluginName,
    password: pluginDatabasePassword(secret, pluginName),
    connectionLimit: 7,
    statementTimeoutMs: 30_000,
    idleInTransactionTimeoutMs: 60_000,
    database,
    ...overrides,
  };
}

async function role(name: string) {
  const { rows } = await admin.query(
    `SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolconfig
       FROM pg_roles WHERE rolname = $1`, [name]);
  return rows[0] as Record<string, unknown> | undefined;
}

test("role and schema names: plugin_ and the name with - as _, the role with the database's tag; bad names are refused", () => {
  assert.equal(pluginDatabaseNames("hello-world", "0a1b2c3d"), { role: "plugin_hello_world_0a1b2c3d", schema: "plugin_hello_world" });
  assert.is(legacyRoleName("hello-world"), "plugin_hello_world");
  const longest = pluginDatabaseNames("a".repeat(40), "0a1b2c3d").role;
  assert.ok(Buffer.byteLength(longest) <= 63, `${longest} fits Postgres' 63 bytes`);
  assert.throws(() => pluginDatabaseNames("Bad_Name", "0a1b2c3d"), TypeError);
  assert.throws(() => pluginDatabaseNames('x"; DROP ROLE postgres; --', "0a1b2c3d"), TypeError);
  assert.throws(() => pluginDatabaseNames("notes", 'x"; --'), TypeError);
});

test("the database tag: 8 hex characters of the OID and name, different for each database of a server", async () => {
  assert.match(databaseTag(16384, "corral"), /^[0-9a-f]{8}$/);
  assert.is.not(databaseTag(16384, "corral"), databaseTag(16385, "corral"), "a re-created database of the same name");
  assert.is.not(databaseTag(16384, "corral"), databaseTag(16384, "corral2"));
  const { rows } = await admin.query<{ oid: string }>("SELECT oid::text AS oid FROM pg_database WHERE datname = current_database()");
  assert.is(await currentDatabaseTag(admin), databaseTag(rows[0].oid, database));
});

test("provisioning follows the recipe: a locked-down LOGIN role that owns its schema", async () => {
  const name = uniquePluginName("recipe");
  const names = await provisionPluginDatabase(admin, options(name));
  assert.equal(names, pluginDatabaseNames(name, await currentDatabaseTag(admin)));
  const attributes = await role(names.role);
  assert.ok(attributes, "the role exists");
  assert.equal(
    { ...attributes, rolconfig: undefined },
    { rolsuper: false, rolinherit: false, rolcreaterole: false, rolcreatedb: false, rolcanlogin: true,
      rolreplication: false, rolbypassrls: false, rolconnlimit: 7, rolconfig: undefined },
  );
  assert.equal([...(attributes.rolconfig as string[])].sort(), [
    "idle_in_transaction_session_timeout=60000",
    `search_path=${names.schema}`,
    "statement_timeout=30000",
  ]);
  const { rows } = await admin.query(
    `SELECT pg_get_userbyid(nspowner) AS owner,
            has_database_privilege($1, current_database(), 'CONNECT') AS connect,
            has_database_privilege($1, current_database(), 'TEMPORARY') AS temporary,
            has_database_privilege($1, current_database(), 'CREATE') AS create_schema,
            has_schema_privilege($1, 'public', 'CREATE') AS create_in_public
       FROM pg_namespace WHERE nspname = $2`, [names.role, names.schema]);
  assert.equal(rows[0], { owner: names.role, connect: true, temporary: false, create_schema: false, create_in_public: false });
});

test("the password is stored as a SCRAM verifier of the derived password, never in clear", async () => {
  const name = uniquePluginName("scram");
  const { role: roleName } = await provisionPluginDatabase(admin, options(name));
  const { rows } = await admin.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [roleName]);
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(rows[0].rolpassword);
  assert.ok(match, `a SCRAM verifier, got ${rows[0].rolpassword.slice(0, 20)}…`);
  const password = pluginDatabasePassword(secret, name);
  const salted = pbkdf2Sync(password, Buffer.from(match[2], "base64"), Number(match[1]), 32, "sha256");
  const storedKey = createHash("sha256").update(createHmac("sha256", salted).update("Client Key").digest()).digest("base64");
  assert.is(storedKey, match[3], "the verifier belongs to the derived password");
  assert.not.ok(rows[0].rolpassword.includes(password));
});

test("provisioning twice is idempotent: data survives, limits and timeouts are updated", async () => {
  const name = uniquePluginName("twice");
  const { role: roleName, schema } = await provisionPluginDatabase(admin, options(name));
  await admin.query(`CREATE TABLE "${schema}".kept (id int)`);
  await admin.query(`INSERT INTO "${schema}".kept VALUES (1)`);
  await provisionPluginDatabase(admin, options(name, { connectionLimit: 3, statementTimeoutMs: 1000 }));
  const attributes = await role(roleName);
  assert.is(attributes?.rolconnlimit, 3);
  assert.ok((attributes?.rolconfig as string[]).includes("statement_timeout=1000"));
  const { rows } = await admin.query(`SELECT id FROM "${schema}".kept`);
  assert.equal(rows, [{ id: 1 }]);
});

test("re-provisioning repairs a role that was given privileges or memberships", async () => {
  const name = uniquePluginName("repair");
  const { role: roleName } = await provisionPluginDatabase(admin, options(name));
  await admin.query(`ALTER ROLE "${roleName}" CREATEDB INHERIT`);
  await admin.query(`GRANT pg_read_all_data TO "${roleName}"`);
  await provisionPluginDatabase(admin, options(name));
  const attributes = await role(roleName);
  assert.is(attributes?.rolcreatedb, false);
  assert.is(attributes?.rolinherit, false);
  const { rowCount } = await admin.query("SELECT 1 FROM pg_auth_members WHERE member = $1::regrole", [roleName]);
  assert.is(rowCount, 0, "the membership is gone: SET ROLE pg_read_all_data would have escaped");
});

test("two hosts provisioning the same plugin at once both succeed", async () => {
  const name = uniquePluginName("race");
  const other = adminPool(url);
  try {
    const [first, second] = await Promise.all([
      provisionPluginDatabase(admin, options(name)),
      provisionPluginDatabase(other, options(name)),
    ]);
    assert.equal(first, second);
  } finally {
    await other.end();
  }
});

test("purge drops the schema with its tables and the role, and a second purge is a no-op", async () => {
  const name = uniquePluginName("purge");
  const { role: roleName, schema } = await provisionPluginDatabase(admin, options(name));
  await admin.query(`CREATE TABLE "${schema}".doomed (id int)`);
  await admin.query(`ALTER TABLE "${schema}".doomed OWNER TO "${roleName}"`);
  await dropPluginDatabase(admin, name);
  assert.is((await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [roleName])).rowCount, 0);
  assert.is((await admin.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).rowCount, 0);
  await dropPluginDatabase(admin, name);
});

test("limits are checked before anything is sent", async () => {
  const name = uniquePluginName("limits");
  for (const bad of [{ connectionLimit: 0 }, { statementTimeoutMs: 1.5 }, { idleInTransactionTimeoutMs: -1 }]) {
    let error: unknown;
    try {
      await provisionPluginDatabase(admin, options(name, bad));
    } catch (caught) {
      error = caught;
    }
    assert.instance(error, RangeError, JSON.stringify(bad));
  }
  assert.is((await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [pluginDatabaseNames(name, await currentDatabaseTag(admin)).role])).rowCount, 0);
});

test.run();
