/**
 * What a plugin can and cannot do through its PluginDatabase (host/db/plugin-database.ts), against
 * the real Postgres of DATABASE_URL: two plugins are provisioned, and plugin A tries every escape.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { decodeRows, encodeSqlValues } from "../../../schemas/sql-values.ts";
import { openHostDatabase } from "../../../host/db/connect.ts";
import type { HostDatabase } from "../../../host/db/connect.ts";
import { DatabaseError } from "../../../host/db/database-error.ts";
import { pluginDatabasePassword } from "../../../host/db/host-secret.ts";
import { PluginDatabase } from "../../../host/db/plugin-database.ts";
import type { PluginDatabaseOptions } from "../../../host/db/plugin-database.ts";
import { dropPluginDatabase, provisionPluginDatabase } from "../../../host/db/provision.ts";
import { memoryLogger, requireDatabaseUrl, uniquePluginName } from "../../helpers/database.ts";
import { rejection as failure } from "../../helpers/assert.ts";

const url = requireDatabaseUrl("isolation.test.ts");
const secret = new TextEncoder().encode("isolation-test-secret-0123456789abcdef");
const nameA = uniquePluginName("a");
const nameB = uniquePluginName("b");
const { logger, records } = memoryLogger();
let dataDir = "";
let host: HostDatabase;
let roleA = "";
let schemaA = "";
let schemaB = "";
let a: PluginDatabase;
let b: PluginDatabase;
const extra: PluginDatabase[] = [];

test.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "corral-isolation-"));
  host = await openHostDatabase({ databaseUrl: url, dataDir, logger });
  const provision = (pluginName: string) => provisionPluginDatabase(host.adminPool, {
    pluginName,
    password: pluginDatabasePassword(secret, pluginName),
    connectionLimit: 8,
    statementTimeoutMs: 10_000,
    idleInTransactionTimeoutMs: 20_000,
    database: host.connectionInfo.database,
  });
  ({ role: roleA, schema: schemaA } = await provision(nameA));
  const namesB = await provision(nameB);
  schemaB = namesB.schema;
  a = open(nameA, roleA, { poolSize: 2 });
  b = open(nameB, namesB.role, { poolSize: 2 });
  await run(b, "CREATE TABLE secrets (id int PRIMARY KEY, value text)");
  await run(b, "INSERT INTO secrets VALUES (1, 'b-only')");
});

test.after(async () => {
  for (const db of [a, b, ...extra]) await db?.close();
  for (const name of [nameA, nameB]) await dropPluginDatabase(host.adminPool, name);
  await host.close();
  await rm(dataDir, { recursive: true, force: true });
});

function open(name: string, role: string, options: Partial<PluginDatabaseOptions> = {}): PluginDatabase {
  return new PluginDatabase(host.connectionInfo, role, pluginDatabasePassword(secret, name), {
    poolSize: 2, logger: logger.forPlugin(name), adminPool: host.adminPool, ...options,
  });
}

async function run(db: PluginDatabase, sql: string, params: unknown[] = [], transactionId = 0) {
  const result = await db.query({ sql, paramsJson: encodeSqlValues(params), transactionId });
  return { ...result, rows: decodeRows(result.rowsJson) };
}

async function refused(sql: string, sqlState: string, transactionId = 0): Promise<DatabaseError> {
  const error = await failure(run(a, sql, [], transactionId));
  assert.instance(error, DatabaseError, `${sql}: ${error.message}`);
  assert.is(error.code, ErrorCode.DB_QUERY_FAILED);
  assert.is((error as DatabaseError).sqlState, sqlState, `${sql}: ${error.message}`);
  return error as DatabaseError;
}

async function begin(db: PluginDatabase): Promise<number> {
  const { transactionId, command } = await db.transaction({ action: "begin", transactionId: 0 });
  assert.is(command, "BEGIN");
  assert.ok(transactionId > 0);
  return transactionId;
}

// ---- refused -------------------------------------------------------------------------------

test("A cannot read B's table", async () => {
  const error = await refused(`SELECT * FROM "${schemaB}".secrets`, "42501");
  assert.match(error.message, /permission denied for schema/);
  assert.equal(error.toJSON(), { code: ErrorCode.DB_QUERY_FAILED, message: error.message, sqlState: "42501" });
});

test("RESET ROLE then reading B's table is refused", async () => {
  const tx = await begin(a);
  try {
    await run(a, "RESET ROLE", [], tx);
    await refused(`SELECT * FROM "${schemaB}".secrets`, "42501", tx);
  } finally {
    await a.transaction({ action: "rollback", transactionId: tx });
  }
});

test("SET ROLE postgres is refused", async () => {
  await refused("SET ROLE postgres", "42501");
});

test("set_config('role', 'postgres') is refused", async () => {
  await refused("SELECT set_config('role', 'postgres', false)", "42501");
});

test("SET SESSION AUTHORIZATION postgres is refused", async () => {
  await refused("SET SESSION AUTHORIZATION postgres", "42501");
});

test("a DO block cannot escape either", async () => {
  await refused("DO $$ BEGIN EXECUTE 'SET ROLE postgres'; END $$", "42501");
  await refused("DO $$ BEGIN PERFORM set_config('role', 'postgres', false); END $$", "42501");
  await refused(`DO $$ BEGIN PERFORM * FROM "${schemaB}".secrets; END $$`, "42501");
});

test("CREATE TABLE in public is refused", async () => {
  await refused("CREATE TABLE public.x (id int)", "42501");
});

test("CREATE TEMP TABLE is refused", async () => {
  await refused("CREATE TEMP TABLE scratch (id int)", "42501");
});

test("pg_read_file('/etc/passwd') is refused", async () => {
  await refused("SELECT pg_read_file('/etc/passwd')", "42501");
});

test("COPY … TO PROGRAM is refused", async () => {
  await refused("COPY (SELECT 1) TO PROGRAM 'id'", "42501");
});

test("CREATE EXTENSION dblink is refused", async () => {
  await refused("CREATE EXTENSION dblink", "42501");
});

test("two statements in one string are refused (extended protocol)", async () => {
  const error = await refused("SELECT 1; SELECT 2", "42601");
  assert.match(error.message, /cannot insert multiple commands into a prepared statement/);
  await refused(`SELECT 1; DROP TABLE IF EXISTS "${schemaB}".secrets`, "42601");
});

test("B's data is untouched after all that", async () => {
  const { rows } = await run(b, "SELECT value FROM secrets");
  assert.equal(rows, [{ value: "b-only" }]);
});

// ---- allowed -------------------------------------------------------------------------------

test("A creates, inserts into and reads a table in its own schema, and owns it", async () => {
  await run(a, "CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)");
  const inserted = await run(a, "INSERT INTO notes (body) VALUES ($1), ($2) RETURNING id", ["one", "two"]);
  assert.is(inserted.command, "INSERT");
  assert.is(inserted.rowCount, 2);
  const { rows, command, rowCount } = await run(a, "SELECT body FROM notes ORDER BY id");
  assert.equal(rows, [{ body: "one" }, { body: "two" }]);
  assert.is(command, "SELECT");
  assert.is(rowCount, 2);
  const owner = await host.adminPool.query("SELECT tableowner FROM pg_tables WHERE tablename = 'notes' AND schemaname = $1", [schemaA]);
  assert.equal(owner.rows, [{ tableowner: roleA }]);
});

test("typed values round-trip: int4, int8 and numeric as strings, bool, timestamptz, jsonb, bytea, null, text[]", async () => {
  await run(a, `CREATE TABLE typed (i int4, big int8, num numeric, flag bool, at timestamptz, doc jsonb,
    bin bytea, nothing text, tags text[], f float8)`);
  const at = new Date("2024-05-01T12:34:56.789Z");
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  await run(a, "INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    [42, 9007199254740993n, "12345678901234567890.0123456789", true, at, { nested: { list: [1, "x", null] } }, bytes, null, ["p", "q,r", "s\"t"], NaN]);
  const { rows } = await run(a, "SELECT * FROM typed");
  const row = rows[0];
  assert.is(row.i, 42);
  assert.is(row.big, "9007199254740993", "int8 arrives as a string, like node-postgres");
  assert.is(row.num, "12345678901234567890.0123456789", "numeric arrives as a string");
  assert.is(row.flag, true);
  assert.instance(row.at, Date);
  assert.is((row.at as Date).getTime(), at.getTime());
  assert.equal(row.doc, { nested: { list: [1, "x", null] } });
  assert.instance(row.bin, Uint8Array);
  assert.equal([...(row.bin as Uint8Array)], [...bytes]);
  assert.is(row.nothing, null);
  assert.equal(row.tags, ["p", "q,r", "s\"t"]);
  assert.ok(Number.isNaN(row.f));
});

test("a Postgres error carries Postgres' own message and SQLSTATE", async () => {
  const error = await refused("SELECT * FROM missing_table", "42P01");
  assert.match(error.message, /relation "missing_table" does not exist/);
});

test("a rolled-back transaction leaves nothing behind", async () => {
  await run(a, "CREATE TABLE ledger (amount int)");
  const tx = await begin(a);
  await run(a, "INSERT INTO ledger VALUES (1), (2)", [], tx);
  const inside = await run(a, "SELECT count(*)::int AS n FROM ledger", [], tx);
  assert.equal(inside.rows, [{ n: 2 }]);
  const outside = await run(a, "SELECT count(*)::int AS n FROM ledger");
  assert.equal(outside.rows, [{ n: 0 }], "not visible outside the transaction");
  const end = await a.transaction({ action: "rollback", transactionId: tx });
  assert.is(end.command, "ROLLBACK");
  assert.equal((await run(a, "SELECT count(*)::int AS n FROM ledger")).rows, [{ n: 0 }]);
});

test("a committed transaction is visible, and its id is then unknown", async () => {
  await run(a, "CREATE TABLE journal (entry text)");
  const tx = await begin(a);
  await run(a, "INSERT INTO journal VALUES ('kept')", [], tx);
  assert.is((await a.transaction({ action: "commit", transactionId: tx })).command, "COMMIT");
  assert.equal((await run(a, "SELECT entry FROM journal")).rows, [{ entry: "kept" }]);
  const error = await failure(run(a, "SELECT 1", [], tx));
  assert.is(error.code, ErrorCode.DB_TRANSACTION_UNKNOWN);
  assert.is((await failure(a.transaction({ action: "commit", transactionId: tx }))).code, ErrorCode.DB_TRANSACTION_UNKNOWN);
  assert.is((await failure(run(a, "SELECT 1", [], 987654))).code, ErrorCode.DB_TRANSACTION_UNKNOWN);
});

test("a commit after a failed statement answers ROLLBACK, as Postgres does", async () => {
  const tx = await begin(a);
  await refused("SELECT * FROM missing_table", "42P01", tx);
  await refused("SELECT 1", "25P02", tx);
  assert.is((await a.transaction({ action: "commit", transactionId: tx })).command, "ROLLBACK");
});

test("a transaction the server ended (idle timeout) reports Postgres' reason, and can still be rolled back", async () => {
  const tx = await begin(a);
  await run(a, "SET idle_in_transaction_session_timeout = 200", [], tx);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const error = await refused("SELECT 1", "25P03", tx);
  assert.match(error.message, /idle-in-transaction timeout/);
  assert.is((await a.transaction({ action: "rollback", transactionId: tx })).command, "ROLLBACK");
  assert.equal((await run(a, "SELECT 1 AS ok")).rows, [{ ok: 1 }], "the pool replaced the dead connection");
});

test("Kysely's migration lock (a session advisory lock inside a transaction) works for the plugin role", async () => {
  const tx = await begin(a);
  await run(a, "SELECT pg_advisory_lock(3853314791062309107)", [], tx);
  await run(a, "CREATE TABLE migrated (id int)", [], tx);
  await run(a, "SELECT pg_advisory_unlock(3853314791062309107)", [], tx);
  await a.transaction({ action: "commit", transactionId: tx });
  assert.equal((await run(a, "SELECT count(*)::int AS n FROM migrated")).rows, [{ n: 0 }]);
});

test("releaseAll mid-transaction rolls it back and frees the connection", async () => {
  await run(a, "CREATE TABLE released (id int)");
  const tx = await begin(a);
  await run(a, "INSERT INTO released VALUES (1)", [], tx);
  await run(a, "SELECT pg_advisory_lock(42)", [], tx);
  const slow = run(a, "SELECT pg_sleep(30)");
  slow.catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = Date.now();
  await a.releaseAll("plugin process exited");
  assert.ok(Date.now() - started < 3000, "the running statement was ended, not waited for");
  const abandoned = await failure(slow);
  assert.is(abandoned.code, ErrorCode.DB_UNAVAILABLE, "the in-flight statement was cancelled");
  assert.match(abandoned.message, /abandoned.*plugin process exited/);
  const { rows } = await host.adminPool.query(
    "SELECT state FROM pg_stat_activity WHERE usename = $1 AND state <> 'idle'", [roleA]);
  assert.equal(rows, [], "no session of the role is idle in transaction or active");
  assert.is(a.stats().openTransactions, 0);
  assert.equal((await run(a, "SELECT count(*)::int AS n FROM released")).rows, [{ n: 0 }]);
  const locks = await host.adminPool.query(
    "SELECT 1 FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid WHERE l.locktype = 'advisory' AND s.usename = $1", [roleA]);
  assert.is(locks.rowCount, 0, "the session lock went with the session");
  assert.is((await failure(run(a, "SELECT 1", [], tx))).code, ErrorCode.DB_TRANSACTION_UNKNOWN);
});

test("20 concurrent statements share a pool of 2", async () => {
  const pool2 = open(nameA, roleA, { poolSize: 2 });
  extra.push(pool2);
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    run(pool2, "SELECT $1::int AS i, pg_backend_pid() AS pid FROM pg_sleep(0.05)", [i])));
  const elapsed = Date.now() - started;
  assert.equal(results.map((r) => r.rows[0].i), Array.from({ length: 20 }, (_, i) => i));
  assert.ok(new Set(results.map((r) => r.rows[0].pid)).size <= 2, "at most two connections");
  assert.ok(elapsed >= 450, `20 × 50 ms over 2 connections takes ≥ 500 ms, took ${elapsed}`);
  const stats = pool2.stats();
  assert.is(stats.queries, 20);
  assert.ok(stats.poolTotal <= 2);
  assert.is(stats.inFlight, 0);
});

test("the concurrency cap refuses statements beyond it, and the others still run", async () => {
  const capped = open(nameA, roleA, { poolSize: 1, maxConcurrentQueries: 3 });
  extra.push(capped);
  const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => run(capped, "SELECT pg_sleep(0.1)")));
  const refusedOnes = outcomes.filter((o) => o.status === "rejected");
  assert.is(outcomes.filter((o) => o.status === "fulfilled").length, 3);
  assert.is(refusedOnes.length, 2);
  for (const outcome of refusedOnes) {
    assert.is(((outcome as PromiseRejectedResult).reason as CorralError).code, ErrorCode.DB_TOO_MANY_QUERIES);
  }
  assert.ok((await run(capped, "SELECT 1 AS ok")).rows[0].ok === 1, "fine again once the queue drained");
});

test("the host's query timeout holds even when the plugin turns statement_timeout off", async () => {
  const strict = open(nameA, roleA, { poolSize: 1, queryTimeoutMs: 300 });
  extra.push(strict);
  const tx = await begin(strict);
  await run(strict, "SET statement_timeout = 0", [], tx);
  const started = Date.now();
  const error = await failure(run(strict, "SELECT pg_sleep(10)", [], tx));
  assert.instance(error, DatabaseError);
  assert.is((error as DatabaseError).sqlState, "57014");
  assert.match(error.message, /longer than the host allows/);
  assert.ok(Date.now() - started < 3000);
  await strict.transaction({ action: "rollback", transactionId: tx });
  assert.equal((await run(strict, "SELECT 1 AS ok")).rows, [{ ok: 1 }]);
});

test("slow statements are logged with their SQL; stats count queries and errors", async () => {
  const watched = open(nameA, roleA, { poolSize: 1, slowQueryMs: 50 });
  extra.push(watched);
  await run(watched, "SELECT pg_sleep(0.08) /* marker */");
  await failure(run(watched, "SELECT * FROM missing_table"));
  const slow = records.find((r) => r.message === "slow query" && String(r.fields?.sql).includes("marker"));
  assert.ok(slow, "a slow-query warning");
  assert.is(slow.level, "warn");
  const stats = watched.stats();
  assert.is(stats.queries, 2);
  assert.is(stats.errors, 1);
  assert.is(stats.slowQueries, 1);
  assert.ok(stats.totalDurationMs >= 80);
});

test("malformed parameters are refused without reaching Postgres", async () => {
  const error = await failure(a.query({ sql: "SELECT $1", paramsJson: '[{"oops":1}]', transactionId: 0 }));
  assert.is(error.code, ErrorCode.DB_QUERY_FAILED);
  assert.match(error.message, /parameters are malformed/);
});

test("a closed pool refuses work", async () => {
  const closing = open(nameA, roleA);
  await closing.close();
  assert.is((await failure(run(closing, "SELECT 1"))).code, ErrorCode.DB_UNAVAILABLE);
});

test.run();
