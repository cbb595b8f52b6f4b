/**
 * Database sessions per plugin process (PluginDatabase.session): with several instances of one
 * plugin sharing a pool, one instance's death rolls back its own transactions and no other's.
 * Against the real Postgres of DATABASE_URL.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ErrorCode } from "../../../schemas/errors.ts";
import { decodeRows, encodeSqlValues } from "../../../schemas/sql-values.ts";
import { openHostDatabase } from "../../../host/db/connect.ts";
import type { HostDatabase } from "../../../host/db/connect.ts";
import { pluginDatabasePassword } from "../../../host/db/host-secret.ts";
import { PluginDatabase } from "../../../host/db/plugin-database.ts";
import type { PluginDatabaseSession } from "../../../host/db/plugin-database.ts";
import { dropPluginDatabase, provisionPluginDatabase } from "../../../host/db/provision.ts";
import { memoryLogger, requireDatabaseUrl, uniquePluginName } from "../../helpers/database.ts";
import { rejection } from "../../helpers/assert.ts";

const url = requireDatabaseUrl("sessions.test.ts");
const secret = new TextEncoder().encode("sessions-test-secret-0123456789abcdef");
const name = uniquePluginName("pool");
const { logger } = memoryLogger();
let dataDir = "";
let host: HostDatabase;
let db: PluginDatabase;

test.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "corral-sessions-"));
  host = await openHostDatabase({ databaseUrl: url, dataDir, logger });
  const { role } = await provisionPluginDatabase(host.adminPool, {
    pluginName: name, password: pluginDatabasePassword(secret, name), connectionLimit: 6,
    statementTimeoutMs: 10_000, idleInTransactionTimeoutMs: 20_000, database: host.connectionInfo.database,
  });
  db = new PluginDatabase(host.connectionInfo, role, pluginDatabasePassword(secret, name), {
    poolSize: 4, logger, adminPool: host.adminPool,
  });
  await db.query({ sql: "CREATE TABLE items (owner text)", paramsJson: "[]", transactionId: 0 });
});

test.after(async () => {
  await db?.close();
  await dropPluginDatabase(host.adminPool, name);
  await host.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function run(session: PluginDatabaseSession, sql: string, params: unknown[] = [], transactionId = 0) {
  const result = await session.query({ sql, paramsJson: encodeSqlValues(params), transactionId });
  return decodeRows(result.rowsJson);
}

async function begin(session: PluginDatabaseSession): Promise<number> {
  return (await session.transaction({ action: "begin", transactionId: 0 })).transactionId;
}

test("releasing one session rolls back its transaction and leaves the other session's open", async () => {
  const first = db.session("instance-1");
  const second = db.session("instance-2");
  const txFirst = await begin(first);
  const txSecond = await begin(second);
  await run(first, "INSERT INTO items VALUES ($1)", ["first"], txFirst);
  await run(second, "INSERT INTO items VALUES ($1)", ["second"], txSecond);

  await first.releaseAll("instance 1 crashed");

  assert.is((await rejection(run(first, "SELECT 1", [], txFirst))).code, ErrorCode.DB_TRANSACTION_UNKNOWN);
  await run(second, "INSERT INTO items VALUES ($1)", ["second again"], txSecond);
  const commit = await second.transaction({ action: "commit", transactionId: txSecond });
  assert.is(commit.command, "COMMIT");
  assert.equal(await run(second, "SELECT owner FROM items ORDER BY owner"), [{ owner: "second" }, { owner: "second again" }]);
});

test("a session cannot use another session's transaction", async () => {
  const first = db.session("instance-1");
  const second = db.session("instance-2");
  const tx = await begin(first);
  const error = await rejection(run(second, "SELECT 1", [], tx));
  assert.is(error.code, ErrorCode.DB_TRANSACTION_UNKNOWN);
  assert.is((await rejection(second.transaction({ action: "commit", transactionId: tx }))).code, ErrorCode.DB_TRANSACTION_UNKNOWN);
  // Still the first session's, and still open.
  assert.is((await first.transaction({ action: "rollback", transactionId: tx })).command, "ROLLBACK");
});

test("a statement running in a released session is abandoned; another session's statement finishes", async () => {
  const first = db.session("instance-1");
  const second = db.session("instance-2");
  const slowFirst = run(first, "SELECT pg_sleep(5)");
  slowFirst.catch(() => undefined);
  const slowSecond = run(second, "SELECT pg_sleep(0.3), 'done' AS result");
  while (db.stats().inFlight < 2) await new Promise((resolve) => setTimeout(resolve, 10));
  await first.releaseAll("instance 1 stopped");
  const abandoned = await rejection(slowFirst);
  assert.is(abandoned.code, ErrorCode.DB_UNAVAILABLE);
  assert.match(abandoned.message, /instance 1 stopped/);
  assert.equal((await slowSecond).map((row) => (row as { result: string }).result), ["done"]);
});

test("closing the pool releases every session", async () => {
  const other = new PluginDatabase(host.connectionInfo, (await db.describe()).role, pluginDatabasePassword(secret, name), {
    poolSize: 2, logger, adminPool: host.adminPool,
  });
  const session = other.session("instance-1");
  const tx = await begin(session);
  await run(session, "INSERT INTO items VALUES ($1)", ["never"], tx);
  await other.close();
  assert.equal(await run(db.session("check"), "SELECT owner FROM items WHERE owner = 'never'"), []);
});

test.run();
