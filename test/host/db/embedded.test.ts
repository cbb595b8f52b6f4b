/**
 * The embedded Postgres end to end (host/db/connect.ts without DATABASE_URL): init and start in a
 * temporary data folder, host migrations, a provisioned plugin querying as its own role, the data
 * folder lock, and a stale lock left by a dead server.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CorralError, ErrorCode } from "../../../schemas/errors.ts";
import { decodeRows } from "../../../schemas/sql-values.ts";
import { openHostDatabase } from "../../../host/db/connect.ts";
import type { HostDatabase } from "../../../host/db/connect.ts";
import { HOST_MIGRATIONS, migrateHostSchema } from "../../../host/db/host-migrations/migrate.ts";
import { loadHostSecret, pluginDatabasePassword } from "../../../host/db/host-secret.ts";
import { PluginDatabase } from "../../../host/db/plugin-database.ts";
import { provisionPluginDatabase } from "../../../host/db/provision.ts";
import { memoryLogger } from "../../helpers/database.ts";
import { rejection as failure } from "../../helpers/assert.ts";

const { logger, records } = memoryLogger();
let dataDir = "";
let host: HostDatabase | undefined;

test.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "corral-embedded-"));
});
test.after(async () => {
  await host?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test("starts in an empty data folder, migrates the host schema, and a plugin queries as its own role", async () => {
  const started = Date.now();
  host = await openHostDatabase({ dataDir, logger });
  assert.is(host.kind, "embedded");
  assert.is(host.connectionInfo.host, "127.0.0.1");
  assert.is(host.connectionInfo.database, "corral");
  assert.ok(records.some((r) => r.message.startsWith("initialising embedded Postgres in ")));
  assert.ok(records.some((r) => r.message === `embedded Postgres started on port ${host?.connectionInfo.port}`));
  assert.ok(Date.now() - started < 10_000);

  const first = await migrateHostSchema(host.adminPool, logger);
  // Every host migration, in order (the list grows with each feature's migration).
  assert.equal(first.results?.map((r) => [r.migrationName, r.status]), Object.keys(HOST_MIGRATIONS).map((name) => [name, "Success"]));
  assert.equal((await migrateHostSchema(host.adminPool, logger)).results, [], "a second run has nothing to do");
  const tables = await host.adminPool.query("SELECT tablename FROM pg_tables WHERE schemaname = 'corral' ORDER BY 1");
  assert.ok(["plugin_databases", "plugin_versions", "plugins"].every((t) => tables.rows.some((r) => r.tablename === t)));

  const secret = (await loadHostSecret(dataDir, {})).key;
  const { role } = await provisionPluginDatabase(host.adminPool, {
    pluginName: "notes", password: pluginDatabasePassword(secret, "notes"), connectionLimit: 4,
    statementTimeoutMs: 5000, idleInTransactionTimeoutMs: 5000, database: host.connectionInfo.database,
  });
  const db = new PluginDatabase(host.connectionInfo, role, pluginDatabasePassword(secret, "notes"), { poolSize: 2, logger, adminPool: host.adminPool });
  try {
    const reply = await db.query({ sql: "SELECT current_user AS who, current_schema() AS schema", paramsJson: "[]", transactionId: 0 });
    assert.match(role, /^plugin_notes_[0-9a-f]{8}$/);
    assert.equal(decodeRows(reply.rowsJson), [{ who: role, schema: "plugin_notes" }]);
    const denied = await failure(db.query({ sql: "SELECT * FROM corral.plugins", paramsJson: "[]", transactionId: 0 }));
    assert.is((denied as CorralError & { sqlState?: string }).sqlState, "42501");
  } finally {
    await db.close();
  }

  // The embedded server checks passwords (SCRAM), unlike a trust-auth test server.
  const impostor = new PluginDatabase(host.connectionInfo, role, "not-the-password", { poolSize: 1, logger });
  try {
    const error = await failure(impostor.query({ sql: "SELECT 1", paramsJson: "[]", transactionId: 0 }));
    assert.is(error.code, ErrorCode.DB_UNAVAILABLE);
    assert.match(error.message, /password authentication failed/);
  } finally {
    await impostor.close();
  }
});

test("a second host on the same data folder gets DATA_DIR_LOCKED naming the folder", async () => {
  const error = await failure(openHostDatabase({ dataDir, logger }));
  assert.is(error.code, ErrorCode.DATA_DIR_LOCKED);
  assert.ok(error.message.includes(dataDir), error.message);
  assert.match(error.message, /CORRAL_DATA_DIR/);
});

test("after close, a stale postmaster.pid (its process gone) is removed with a warning and the server starts", async () => {
  assert.ok(host);
  const port = host.connectionInfo.port;
  await host.close();
  host = undefined;
  const lockFile = join(dataDir, "postgres", "postmaster.pid");
  const deadPid = spawnSync("true").pid;
  await writeFile(lockFile, `${deadPid}\n${join(dataDir, "postgres")}\n0\n${port}\n\n127.0.0.1\n0 0\nready\n`);
  records.length = 0;
  host = await openHostDatabase({ dataDir, logger });
  assert.ok(records.some((r) => r.level === "warn" && r.message.includes(`removing stale ${lockFile}`)), JSON.stringify(records.map((r) => r.message)));
  assert.ok(!records.some((r) => r.message.startsWith("initialising")), "the existing cluster is reused");
  const { rows } = await host.adminPool.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname ~ '^plugin_notes_[0-9a-f]{8}$'");
  assert.equal(rows, [{ n: 1 }], "the data survived the restart");
  assert.not.equal((await readFile(lockFile, "utf8")).split("\n")[0], String(deadPid));
});

test("when the preferred port is taken, another one is used", async () => {
  await host?.close();
  host = undefined;
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const taken = (blocker.address() as AddressInfo).port;
  try {
    host = await openHostDatabase({ dataDir, logger, embeddedPort: taken });
    assert.is.not(host.connectionInfo.port, taken);
    assert.equal((await host.adminPool.query("SELECT 1 AS ok")).rows, [{ ok: 1 }]);
  } finally {
    blocker.close();
  }
});

test.run();
