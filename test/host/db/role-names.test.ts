/**
 * Two Corral installations on two databases of one Postgres server (DATABASE_URL's), each with a
 * plugin of the same name: each gets a role of its own (roles are the server's, schemas a
 * database's), neither clobbers the other's password, neither role can connect to the other
 * database, a purge in one leaves the other alone, and old-style `plugin_<name>` installations
 * keep working, a shared one being split off on upgrade (host/db/provision.ts).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeRows } from "../../../schemas/sql-values.ts";
import { openHostDatabase } from "../../../host/db/connect.ts";
import type { HostDatabase } from "../../../host/db/connect.ts";
import { migrateHostSchema } from "../../../host/db/host-migrations/migrate.ts";
import { pluginDatabasePassword } from "../../../host/db/host-secret.ts";
import { openPluginDatabase } from "../../../host/db/open-plugin-database.ts";
import type { PluginDatabase } from "../../../host/db/plugin-database.ts";
import { PluginStore } from "../../../host/db/plugin-store.ts";
import { currentDatabaseTag, dropPluginDatabase, legacyRoleName, pluginDatabaseNames, provisionPluginDatabase } from "../../../host/db/provision.ts";
import { scramVerifier } from "../../../host/db/scram.ts";
import { parseManifest } from "../../../host/manifest/manifest.ts";
import { memoryLogger, requireDatabaseUrl, uniquePluginName } from "../../helpers/database.ts";

const serverUrl = requireDatabaseUrl("role-names.test.ts");
const { logger, records } = memoryLogger();
const run = `corral_rolenames_${process.pid}_${randomBytes(3).toString("hex")}`;
const used: string[] = [];
let server: pg.Pool;
let dataDir = "";

/** One installation: a host's database (its own Postgres database), store and secret. */
interface Install {
  readonly database: string;
  readonly db: HostDatabase;
  readonly store: PluginStore;
  readonly secret: Uint8Array;
  readonly opened: PluginDatabase[];
}
const installs: Install[] = [];

function urlOf(database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function install(suffix: string): Promise<Install> {
  const database = `${run}_${suffix}`;
  await server.query(`CREATE DATABASE ${pg.escapeIdentifier(database)} TEMPLATE template0`);
  const db = await openHostDatabase({ databaseUrl: urlOf(database), dataDir, logger });
  await migrateHostSchema(db.adminPool, logger);
  const made = { database, db, store: new PluginStore(db.adminPool), secret: randomBytes(32), opened: [] };
  installs.push(made);
  return made;
}

function pluginName(label: string): string {
  const name = uniquePluginName(label);
  used.push(name);
  return name;
}

/** What the host does when the plugin starts: provision (keeping the recorded role), record, open its pool. */
async function start(at: Install, name: string): Promise<PluginDatabase> {
  const manifest = parseManifest(JSON.stringify({ name, version: "1.0.0", hostApi: "^0.1.0", database: true }), "plugin.json");
  const opened = await openPluginDatabase({ hostDb: at.db, secret: at.secret, store: at.store, manifest, timeoutMs: 10_000, logger, poolSize: 1 });
  at.opened.push(opened);
  return opened;
}

/** Closes the pools `start` opened at these installations (a purge needs its plugin's sessions gone). */
async function closeOpened(...ats: Install[]): Promise<void> {
  for (const at of ats) {
    for (const opened of at.opened) await opened.close();
    at.opened.length = 0;
  }
}

async function sql(db: PluginDatabase, text: string): Promise<unknown[]> {
  return decodeRows((await db.query({ sql: text, paramsJson: "[]", transactionId: 0 })).rowsJson);
}

/** Whether `role`'s stored SCRAM verifier belongs to `password` (the test server trusts 127.0.0.1, so a login proves nothing). */
async function verifierMatches(role: string, password: string): Promise<boolean> {
  const { rows } = await server.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [role]);
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(rows[0]?.rolpassword ?? "");
  if (match === null) return false;
  const salted = pbkdf2Sync(password, Buffer.from(match[2]!, "base64"), Number(match[1]), 32, "sha256");
  return createHash("sha256").update(createHmac("sha256", salted).update("Client Key").digest()).digest("base64") === match[3];
}

/** Connects to `database` as `role` with `password`: the error Postgres answers, or undefined. */
async function connectAs(database: string, role: string, password: string): Promise<{ code?: string; message: string } | undefined> {
  const url = new URL(serverUrl);
  const client = new pg.Client({ host: url.hostname, port: Number(url.port || 5432), database, user: role, password });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The error a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

async function roleExists(role: string): Promise<boolean> {
  return (await server.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount === 1;
}

/** An installation made before role names carried the database's tag: the old recipe, a table and a row, recorded. */
async function installOldStyle(at: Install, name: string): Promise<string> {
  const legacy = legacyRoleName(name);
  const role = pg.escapeIdentifier(legacy);
  const verifier = await scramVerifier(pluginDatabasePassword(at.secret, name));
  const attributes = `LOGIN PASSWORD ${pg.escapeLiteral(verifier)} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT CONNECTION LIMIT 4`;
  const admin = at.db.adminPool;
  await admin.query(await roleExists(legacy) ? `ALTER ROLE ${role} WITH ${attributes}` : `CREATE ROLE ${role} ${attributes}`);
  await admin.query(`CREATE SCHEMA ${role} AUTHORIZATION ${role}`);
  await admin.query(`ALTER ROLE ${role} SET search_path = ${role}`);
  await admin.query(`REVOKE ALL ON DATABASE ${pg.escapeIdentifier(at.database)} FROM PUBLIC`);
  await admin.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(at.database)} TO ${role}`);
  const client = await admin.connect();
  try {
    await client.query(`SET ROLE ${role}`);
    await client.query(`CREATE TABLE ${role}.items (text text)`);
    await client.query(`INSERT INTO ${role}.items VALUES ('from ${at.database}')`);
  } finally {
    await client.query("RESET ROLE");
    client.release();
  }
  await at.store.recordDatabase(name, legacy, legacy);
  return legacy;
}

test.before(async () => {
  server = new pg.Pool({ connectionString: serverUrl, max: 2 });
  dataDir = await mkdtemp(join(tmpdir(), "corral-role-names-"));
});

test.after(async () => {
  for (const at of installs) {
    for (const opened of at.opened) await opened.close().catch(() => undefined);
    await at.db.close();
    await server.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(at.database)} WITH (FORCE)`);
  }
  // Everything this run's plugins were given: their names are this run's alone.
  const { rows } = await server.query<{ name: string }>(
    "SELECT rolname AS name FROM pg_roles WHERE rolname LIKE ANY($1::text[])",
    [used.map((name) => `${legacyRoleName(name).replaceAll("_", "\\_")}%`)]);
  for (const { name } of rows) await server.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(name)}`);
  await server.end();
  await rm(dataDir, { recursive: true, force: true });
});

let a: Install;
let b: Install;

test("two installations on one server each give a plugin of the same name a role of their own, and both keep working", async () => {
  a = await install("a");
  b = await install("b");
  const name = pluginName("same");
  const inA = await start(a, name);
  const inB = await start(b, name);
  const tagA = await currentDatabaseTag(a.db.adminPool);
  const tagB = await currentDatabaseTag(b.db.adminPool);
  assert.is.not(tagA, tagB);
  assert.is(inA.role, pluginDatabaseNames(name, tagA).role);
  assert.is(inB.role, pluginDatabaseNames(name, tagB).role);
  assert.equal(await a.store.recordedDatabase(name), { role: inA.role, schema: legacyRoleName(name) }, "the host records the role it made");

  await sql(inA, "CREATE TABLE items (text text)");
  await sql(inA, "INSERT INTO items VALUES ('a')");
  await sql(inB, "CREATE TABLE items (text text)");
  await sql(inB, "INSERT INTO items VALUES ('b')");

  // Each start re-sets its role's password: B's must not touch A's, and the other way round.
  const again = await start(b, name);
  assert.is(again.role, inB.role);
  await start(a, name);
  assert.ok(await verifierMatches(inA.role, pluginDatabasePassword(a.secret, name)), "A's role has A's password");
  assert.ok(await verifierMatches(inB.role, pluginDatabasePassword(b.secret, name)), "B's role has B's password");
  assert.equal(await sql(inA, "SELECT current_user AS who, text FROM items"), [{ who: inA.role, text: "a" }]);
  assert.equal(await sql(again, "SELECT current_user AS who, text FROM items"), [{ who: inB.role, text: "b" }]);
});

test("a plugin's role cannot connect to the other installation's database, even with its own password", async () => {
  const name = used[0]!;
  const roleA = pluginDatabaseNames(name, await currentDatabaseTag(a.db.adminPool)).role;
  const roleB = pluginDatabaseNames(name, await currentDatabaseTag(b.db.adminPool)).role;
  const intoA = await connectAs(a.database, roleB, pluginDatabasePassword(b.secret, name));
  assert.is(intoA?.code, "42501", JSON.stringify(intoA));
  assert.match(intoA!.message, /permission denied for database/);
  const intoB = await connectAs(b.database, roleA, pluginDatabasePassword(a.secret, name));
  assert.is(intoB?.code, "42501", JSON.stringify(intoB));
  assert.is(await connectAs(a.database, roleA, pluginDatabasePassword(a.secret, name)), undefined, "its own database is fine");
});

test("a purge in one installation drops its schema and role, and leaves the other's role and data", async () => {
  const name = used[0]!;
  await closeOpened(a);
  const roleA = (await a.store.recordedDatabase(name))!.role;
  await dropPluginDatabase(a.db.adminPool, name, roleA);
  await a.store.forgetDatabase(name);
  assert.not.ok(await roleExists(roleA), "A's role is gone");
  assert.is((await a.db.adminPool.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [legacyRoleName(name)])).rowCount, 0);

  const inB = await start(b, name);
  assert.equal(await sql(inB, "SELECT text FROM items"), [{ text: "b" }], "B's data is intact");
  assert.ok(await verifierMatches(inB.role, pluginDatabasePassword(b.secret, name)));
});

test("an old-style plugin_<name> installation keeps its role and data after the upgrade", async () => {
  const name = pluginName("old");
  const legacy = await installOldStyle(a, name);
  const upgraded = await start(a, name);
  assert.is(upgraded.role, legacy, "the recorded role is kept: nothing to move, no orphaned role");
  assert.equal(await sql(upgraded, "SELECT current_user AS who, text FROM items"), [{ who: legacy, text: `from ${a.database}` }]);
  assert.equal(await a.store.recordedDatabase(name), { role: legacy, schema: legacy });
  assert.not.ok(await roleExists(pluginDatabaseNames(name, await currentDatabaseTag(a.db.adminPool)).role), "no tagged role was made beside it");

  // A new installation of the same plugin elsewhere on the server gets its own role.
  const inB = await start(b, name);
  assert.is.not(inB.role, legacy);
  assert.ok(await verifierMatches(legacy, pluginDatabasePassword(a.secret, name)), "B did not re-set the old role's password");
  await closeOpened(a, b);
});

test("an old-style role two installations shared: the first to upgrade moves its objects to a role of its own; the other keeps the old one", async () => {
  const name = pluginName("shared");
  const legacy = await installOldStyle(a, name);
  await installOldStyle(b, name);
  // The bug being fixed: B's role reaches A's database.
  assert.is(await connectAs(a.database, legacy, pluginDatabasePassword(b.secret, name)), undefined, "precondition: the shared role connects to both");

  records.length = 0;
  const inA = await start(a, name);
  const tagA = await currentDatabaseTag(a.db.adminPool);
  assert.is(inA.role, pluginDatabaseNames(name, tagA).role, "A moved to a tagged role");
  assert.ok(records.some((r) => r.message.startsWith("database role moved") && JSON.stringify(r.fields).includes(legacy)), "and says so");
  assert.equal(await a.store.recordedDatabase(name), { role: inA.role, schema: legacy }, "the record follows");
  assert.equal(await sql(inA, "SELECT current_user AS who, text FROM items"), [{ who: inA.role, text: `from ${a.database}` }], "A's data moved with it");
  const { rows: owners } = await a.db.adminPool.query("SELECT tableowner FROM pg_tables WHERE schemaname = $1", [legacy]);
  assert.equal(owners, [{ tableowner: inA.role }]);
  const refused = await connectAs(a.database, legacy, pluginDatabasePassword(b.secret, name));
  assert.is(refused?.code, "42501", `the old role (now B's alone) no longer reaches A: ${JSON.stringify(refused)}`);

  // B, upgraded later, keeps the old role: nobody else uses it now.
  const inB = await start(b, name);
  assert.is(inB.role, legacy);
  assert.equal(await sql(inB, "SELECT text FROM items"), [{ text: `from ${b.database}` }]);
  assert.ok(await verifierMatches(legacy, pluginDatabasePassword(b.secret, name)));
  assert.ok(await verifierMatches(inA.role, pluginDatabasePassword(a.secret, name)));

  // A second start of A changes nothing.
  assert.is((await start(a, name)).role, inA.role);
  await closeOpened(a, b);
});

test("purging an old-style role another installation still shares only detaches it from this database", async () => {
  const name = pluginName("purge-shared");
  const legacy = await installOldStyle(a, name);
  await installOldStyle(b, name);
  await dropPluginDatabase(a.db.adminPool, name, legacy);
  assert.ok(await roleExists(legacy), "the role B uses is kept");
  assert.is((await a.db.adminPool.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [legacy])).rowCount, 0, "A's schema is gone");
  const refused = await connectAs(a.database, legacy, "");
  assert.is(refused?.code, "42501", JSON.stringify(refused));
  const inB = await start(b, name);
  assert.is(inB.role, legacy);
  assert.equal(await sql(inB, "SELECT text FROM items"), [{ text: `from ${b.database}` }], "B's data is intact");
  await inB.close();
  b.opened.length = 0;
  await dropPluginDatabase(b.db.adminPool, name, legacy);
  assert.not.ok(await roleExists(legacy), "the last installation's purge drops it");
});

test("a role another database uses is never taken over", async () => {
  const name = pluginName("taken");
  const tagged = pluginDatabaseNames(name, await currentDatabaseTag(a.db.adminPool)).role;
  await server.query(`CREATE ROLE ${pg.escapeIdentifier(tagged)} LOGIN`);
  await b.db.adminPool.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(b.database)} TO ${pg.escapeIdentifier(tagged)}`);
  const error = await refusal(provisionPluginDatabase(a.db.adminPool, {
    pluginName: name, password: "x", connectionLimit: 3, statementTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000, database: a.database,
  }));
  assert.match(error.message, new RegExp(`role ${tagged} .* is also used by database ${b.database}`));
  assert.is((await a.db.adminPool.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [legacyRoleName(name)])).rowCount, 0, "nothing was made");
  const recorded = await refusal(provisionPluginDatabase(a.db.adminPool, {
    pluginName: name, password: "x", connectionLimit: 3, statementTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000, database: a.database,
    recordedRole: "postgres",
  }));
  assert.instance(recorded, TypeError, "a recorded role that is not a plugin role's name is refused");
});

test.run();
