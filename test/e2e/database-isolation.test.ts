// End to end: a hostile plugin sending raw SQL through ctx.db is refused by Postgres itself,
// with the SQLSTATE it would get from pg, and keeps serving afterwards.
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { openAdmin, resetPluginDatabases, roleOf } from "../helpers/plugin-database.ts";

const HOSTILE = "dbe2e-hostile";
const VICTIM = "dbe2e-values";

interface Attempt {
  ok: boolean;
  value?: unknown;
  isDatabaseError?: boolean;
  code?: string;
  message?: string;
}

const isolation = suite<{ t: TestHost; admin: pg.Pool }>("database isolation");

isolation.before(async (ctx) => {
  ctx.admin = openAdmin("database isolation e2e");
  await resetPluginDatabases(ctx.admin, [HOSTILE, VICTIM]);
  ctx.t = await startTestHost({ plugins: [HOSTILE, VICTIM] });
});
isolation.after(async (ctx) => {
  await ctx.t.close();
  await resetPluginDatabases(ctx.admin, [HOSTILE, VICTIM]);
  await ctx.admin.end();
});

async function run(t: TestHost, path: "sql" | "sql-tx", body: string): Promise<Attempt> {
  const res = await fetch(`${t.url}/plugins/${HOSTILE}/${path}`, { method: "POST", body });
  assert.is(res.status, 200, await res.clone().text());
  return await res.json() as Attempt;
}

async function assertRefused(t: TestHost, what: string, attempt: Attempt, sqlState: string, message?: RegExp): Promise<void> {
  assert.is(attempt.ok, false, `${what} must be refused, but returned ${JSON.stringify(attempt.value)}`);
  assert.is(attempt.isDatabaseError, true, `${what}: a DatabaseError`);
  assert.is(attempt.code, sqlState, `${what}: SQLSTATE (${attempt.message})`);
  if (message !== undefined) assert.match(attempt.message!, message, what);
  const alive = await fetch(`${t.url}/plugins/${HOSTILE}/alive`);
  assert.is(await alive.text(), "alive", `${what}: the plugin keeps serving`);
}

const otherTable = `plugin_dbe2e_values.typed_values`;

isolation("its own schema works: the hostile plugin can create and read its own table", async ({ t, admin }) => {
  const created = await run(t, "sql", "CREATE TABLE mine (id int)");
  assert.is(created.ok, true, created.message);
  const read = await run(t, "sql", "SELECT current_user AS who, current_schema() AS schema");
  assert.equal(read.value, [{ who: await roleOf(admin, HOSTILE), schema: "plugin_dbe2e_hostile" }]);
});

isolation("reading another plugin's table is refused (42501)", async ({ t }) => {
  await assertRefused(t, "SELECT from another plugin's schema", await run(t, "sql", `SELECT * FROM ${otherTable}`), "42501",
    /permission denied for schema plugin_dbe2e_values/);
});

isolation("the host's own schema is out of reach too (42501)", async ({ t }) => {
  await assertRefused(t, "SELECT from the host's schema", await run(t, "sql", "SELECT * FROM corral.plugins"), "42501",
    /permission denied for schema corral/);
});

isolation("role escapes are refused: RESET ROLE, SET ROLE, set_config('role'), SET SESSION AUTHORIZATION", async ({ t, admin }) => {
  await assertRefused(t, "RESET ROLE, then another plugin's table",
    await run(t, "sql-tx", JSON.stringify(["RESET ROLE", `SELECT * FROM ${otherTable}`])), "42501");
  const reset = await run(t, "sql-tx", JSON.stringify(["RESET ROLE", "SELECT current_user AS who"]));
  assert.equal(reset.value, [{ who: await roleOf(admin, HOSTILE) }], "RESET ROLE leaves it as itself");
  await assertRefused(t, "SET ROLE postgres", await run(t, "sql", "SET ROLE postgres"), "42501");
  await assertRefused(t, "set_config('role')", await run(t, "sql", "SELECT set_config('role', 'postgres', false)"), "42501");
  await assertRefused(t, "SET SESSION AUTHORIZATION", await run(t, "sql", "SET SESSION AUTHORIZATION postgres"), "42501");
  await assertRefused(t, "SET ROLE inside DO", await run(t, "sql", "DO $$ BEGIN EXECUTE 'SET ROLE postgres'; END $$"), "42501");
});

isolation("creating in public, temporary tables, pg_read_file and COPY TO PROGRAM are refused (42501)", async ({ t }) => {
  await assertRefused(t, "CREATE TABLE public.x", await run(t, "sql", "CREATE TABLE public.corral_e2e_x (id int)"), "42501");
  await assertRefused(t, "CREATE TEMP TABLE", await run(t, "sql", "CREATE TEMP TABLE scratch (id int)"), "42501");
  await assertRefused(t, "pg_read_file", await run(t, "sql", "SELECT pg_read_file('/etc/passwd')"), "42501");
  await assertRefused(t, "COPY TO PROGRAM", await run(t, "sql", "COPY (SELECT 1) TO PROGRAM 'id'"), "42501");
});

isolation("CREATE EXTENSION is refused (42501)", async ({ t }) => {
  await assertRefused(t, "CREATE EXTENSION dblink", await run(t, "sql", "CREATE EXTENSION dblink"), "42501");
  await assertRefused(t, "CREATE EXTENSION pgcrypto (a trusted one)", await run(t, "sql", "CREATE EXTENSION pgcrypto"), "42501");
});

isolation("two statements in one string are refused (42601): one statement per query", async ({ t, admin }) => {
  await assertRefused(t, "two statements", await run(t, "sql", `SELECT 1; DROP TABLE ${otherTable}`), "42601",
    /cannot insert multiple commands into a prepared statement/);
  const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'plugin_dbe2e_values'`);
  assert.ok(rows[0].n >= 1, "the other plugin's table is still there");
});

isolation("schema and role names of other plugins are visible in the catalog; their data is not", async ({ t }) => {
  const names = await run(t, "sql", "SELECT nspname FROM pg_namespace WHERE nspname = 'plugin_dbe2e_values'");
  assert.equal(names.value, [{ nspname: "plugin_dbe2e_values" }]);
  const tables = await run(t, "sql",
    "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'plugin_dbe2e_values'");
  assert.equal(tables.value, [{ n: 0 }], "information_schema shows only what the role may use");
});

isolation.run();
