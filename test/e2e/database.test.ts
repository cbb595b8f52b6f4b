// End to end: plugins with "database": true, through real HTTP, real Deno processes and the real
// Postgres of DATABASE_URL: CRUD, migrations (once, recorded, reversible, failing), typed values.
import { join } from "node:path";
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SHIPPED, startTestHost } from "../helpers/host.ts";
import type { TestHost } from "../helpers/host.ts";
import { openAdmin, recordedMigrations, resetPluginDatabases, roleOf, tablesOf } from "../helpers/plugin-database.ts";

const PLUGINS = ["notes", "dbe2e-values", "dbe2e-badmig"];

interface Note {
  id: string;
  title: string;
  body: string;
  tags: string[];
  created_at: string;
  updated_at: string;
}

const database = suite<{ t: TestHost; admin: pg.Pool }>("database");

database.before(async (ctx) => {
  ctx.admin = openAdmin("database e2e");
  await resetPluginDatabases(ctx.admin, PLUGINS);
  ctx.t = await startTestHost({ plugins: [join(SHIPPED, "notes"), "dbe2e-values", "dbe2e-badmig"] });
});
database.after(async (ctx) => {
  await ctx.t.close();
  await resetPluginDatabases(ctx.admin, PLUGINS);
  await ctx.admin.end();
});

async function call(t: TestHost, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${t.url}/plugins/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : JSON.parse(text) };
}

async function adminApi(t: TestHost, method: string, path: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${t.url}/admin/plugins/${path}`, { method, headers: { authorization: `Bearer ${t.host.adminToken}` } });
  return { status: res.status, json: await res.json() };
}

database("a first start migrates without a failed statement: /health counts no database error", async ({ t }) => {
  const health = await (await fetch(`${t.url}/health`)).json() as { plugins: Array<{ name: string; database?: { queries: number; errors: number } }> };
  const notes = health.plugins.find((p) => p.name === "notes")?.database;
  assert.ok(notes !== undefined && notes.queries > 0, `notes ran its migrations: ${JSON.stringify(notes)}`);
  assert.is(notes.errors, 0, "no statement failed on the way (e.g. reading a migration table that is not there yet)");
});

database("notes: create, read, list with paging, update and delete through HTTP", async ({ t, admin }) => {
  const created: Note[] = [];
  for (const title of ["first", "second", "third"]) {
    const { status, json } = await call(t, "POST", "notes/notes", { title, body: `${title} body`, tags: ["Work", "work", "e2e"] });
    assert.is(status, 201, JSON.stringify(json));
    assert.equal(json.tags, ["e2e", "work"], "tags are normalised and stored");
    assert.match(json.id, /^\d+$/, "a bigserial id arrives as a string");
    created.push(json);
  }
  const [first, second, third] = created as [Note, Note, Note];
  const got = await call(t, "GET", `notes/notes/${second.id}`);
  assert.is(got.status, 200);
  assert.equal(got.json, second, "what GET answers is what POST answered");

  const page = await call(t, "GET", "notes/notes?limit=2&offset=0");
  assert.is(page.json.total, 3);
  assert.equal(page.json.notes.map((n: Note) => n.title), ["third", "second"], "newest first");
  const rest = await call(t, "GET", "notes/notes?limit=2&offset=2");
  assert.equal(rest.json.notes.map((n: Note) => n.id), [first.id]);

  const patched = await call(t, "PATCH", `notes/notes/${first.id}`, { title: "first, edited", tags: ["done"] });
  assert.is(patched.status, 200);
  assert.is(patched.json.title, "first, edited");
  assert.is(patched.json.body, "first body", "fields not sent stay as they were");
  assert.equal(patched.json.tags, ["done"], "tags are replaced as a whole");
  assert.ok(new Date(patched.json.updated_at) > new Date(first.updated_at), "updated_at moves");

  assert.is((await call(t, "DELETE", `notes/notes/${third.id}`)).status, 204);
  assert.is((await call(t, "GET", `notes/notes/${third.id}`)).status, 404);
  assert.is((await call(t, "DELETE", `notes/notes/${third.id}`)).status, 404);
  const { rows } = await admin.query("SELECT count(*)::int AS n FROM plugin_notes.note_tags WHERE note_id = $1", [third.id]);
  assert.is(rows[0].n, 0, "a deleted note's tags went with it");
});

database("notes: invalid input is a 400 JSON error that names the field", async ({ t }) => {
  const missing = await call(t, "POST", "notes/notes", { body: "no title" });
  assert.is(missing.status, 400);
  assert.equal(missing.json, { error: { code: "invalid-request", message: "title is required", field: "title" } });
  const badId = await call(t, "GET", "notes/notes/abc");
  assert.is(badId.status, 400);
  assert.is(badId.json.error.field, "id");
  const badLimit = await call(t, "GET", "notes/notes?limit=1000");
  assert.is(badLimit.status, 400);
  assert.match(badLimit.json.error.message, /limit must be a whole number from 1 to 100, got "1000"/);
});

database("migrations are applied once and recorded in the plugin's own schema", async ({ admin }) => {
  const recorded = await recordedMigrations(admin, "notes");
  assert.equal(recorded.map((m) => m.name), ["0001_notes", "0002_note_tags"]);
  assert.equal(await tablesOf(admin, "notes"), ["kysely_migration", "kysely_migration_lock", "note_tags", "notes"]);
  const { rows } = await admin.query("SELECT tableowner FROM pg_tables WHERE schemaname = 'plugin_notes' AND tablename = 'notes'");
  assert.is(rows[0].tableowner, await roleOf(admin, "notes"), "the migration ran as the plugin's role, which owns its tables");
});

database("typed values round-trip through HTTP: int8, numeric, timestamptz, jsonb, bytea, null, bool, text[]", async ({ t }) => {
  const input = {
    big: "9007199254740993",
    num: "12345678901234567890.0123456789",
    at: "2024-02-29T23:59:59.123Z",
    doc: { nested: { list: [1, "x", null] }, "$date": "not a tag inside json" },
    bytes: [0, 1, 2, 127, 128, 254, 255],
    flag: false,
    list: ["p", "q,r", 's"t', "", "NULL"],
  };
  const inserted = await call(t, "POST", "dbe2e-values/values", input);
  assert.is(inserted.status, 200, JSON.stringify(inserted.json));
  const read = await call(t, "GET", `dbe2e-values/values/${inserted.json.id.value}`);
  for (const described of [inserted.json, read.json]) {
    assert.equal(described.big, { type: "string", value: "9007199254740993" }, "int8 is a string, every digit kept");
    assert.equal(described.num, { type: "string", value: "12345678901234567890.0123456789" });
    assert.equal(described.at, { type: "Date", value: "2024-02-29T23:59:59.123Z" });
    assert.equal(described.doc, { type: "object", value: input.doc });
    assert.equal(described.bytes, { type: "Uint8Array", value: input.bytes });
    assert.equal(described.nothing, { type: "null", value: null });
    assert.equal(described.flag, { type: "boolean", value: false });
    assert.equal(described.list, { type: "array", value: input.list });
  }
});

database("query parameters keep their types: Date, Uint8Array, bigint, arrays", async ({ t }) => {
  const { status, json } = await call(t, "GET", "dbe2e-values/echo-params");
  assert.is(status, 200, JSON.stringify(json));
  assert.equal(json, {
    t: { type: "string", value: "timestamp with time zone" },
    bytes_equal: { type: "boolean", value: true },
    big_plus_one: { type: "string", value: "9007199254740994" },
    list_length: { type: "number", value: 2 },
  });
});

database("a failing migration: nothing partial remains, the plugin is failed with the reason, its routes 503, others serve", async ({ t, admin }) => {
  const health = await (await fetch(`${t.url}/health`)).json() as { plugins: Array<{ name: string; state: string; failure: string | null }> };
  const bad = health.plugins.find((p) => p.name === "dbe2e-badmig")!;
  assert.is(bad.state, "failed");
  assert.match(bad.failure!, /migration "0002_fails" failed/);
  assert.match(bad.failure!, /relation "no_such_table" does not exist \(SQLSTATE 42P01\)/);
  assert.match(bad.failure!, /none of the 2 migrations of this run was applied/);
  const res = await fetch(`${t.url}/plugins/dbe2e-badmig/`);
  assert.is(res.status, 503);
  const body = await res.json() as { error: { code: string } };
  assert.is(body.error.code, "CORRAL_E_PLUGIN_FAILED");
  // Kysely creates its own two tables before the migration transaction; nothing of the run remains.
  assert.equal(await tablesOf(admin, "dbe2e-badmig"), ["kysely_migration", "kysely_migration_lock"]);
  assert.equal(await recordedMigrations(admin, "dbe2e-badmig"), []);
  assert.is((await call(t, "GET", "notes/notes")).status, 200, "another plugin in the same host keeps serving");
});

database("the migrate command: status, down (one step) and latest, answered by the plugin", async ({ t, admin }) => {
  const status = await adminApi(t, "GET", "notes/migrations");
  assert.is(status.status, 200, JSON.stringify(status.json));
  assert.equal(status.json, { applied: ["0001_notes", "0002_note_tags"], pending: [], executed: [] });

  const down = await adminApi(t, "POST", "notes/migrations/down");
  assert.is(down.status, 200, JSON.stringify(down.json));
  assert.equal(down.json, {
    applied: ["0001_notes"],
    pending: ["0002_note_tags"],
    executed: [{ name: "0002_note_tags", direction: "down", status: "success" }],
  });
  assert.not.ok((await tablesOf(admin, "notes")).includes("note_tags"), "down() ran");

  const latest = await adminApi(t, "POST", "notes/migrations/latest");
  assert.equal(latest.json, {
    applied: ["0001_notes", "0002_note_tags"],
    pending: [],
    executed: [{ name: "0002_note_tags", direction: "up", status: "success" }],
  });
  assert.ok((await tablesOf(admin, "notes")).includes("note_tags"));

  const irreversible = await adminApi(t, "POST", "dbe2e-values/migrations/down");
  assert.is(irreversible.json.error.code, "CORRAL_E_MIGRATION_FAILED");
  assert.match(irreversible.json.error.message, /migration "0001_typed_values" cannot be undone: it has no down\(\)/);
  assert.equal(await recordedMigrations(admin, "dbe2e-values").then((m) => m.map((r) => r.name)), ["0001_typed_values"]);
});

const restart = suite<{ admin: pg.Pool }>("database across restarts");

restart.before(async (ctx) => {
  ctx.admin = openAdmin("database restart e2e");
  await resetPluginDatabases(ctx.admin, ["notes"]);
});
restart.after(async (ctx) => {
  await resetPluginDatabases(ctx.admin, ["notes"]);
  await ctx.admin.end();
});

restart("a restarted host does not run migrations again, and the data is still there", async ({ admin }) => {
  const first = await startTestHost({ plugins: [join(SHIPPED, "notes")] });
  let id: string;
  let recorded: Array<{ name: string; timestamp: string }>;
  try {
    const created = await call(first, "POST", "notes/notes", { title: "survives restarts" });
    assert.is(created.status, 201);
    id = created.json.id;
    recorded = await recordedMigrations(admin, "notes");
    assert.is(recorded.length, 2);
  } finally {
    await first.close();
  }
  const second = await startTestHost({ plugins: [join(SHIPPED, "notes")] });
  try {
    assert.equal(await recordedMigrations(admin, "notes"), recorded, "same rows, same timestamps: nothing ran again");
    const got = await call(second, "GET", `notes/notes/${id}`);
    assert.is(got.status, 200);
    assert.is(got.json.title, "survives restarts");
  } finally {
    await second.close();
  }
});

database("the plugin's pool is sized by limits.dbConnections, its role limited to match, and /health shows it", async ({ t, admin }) => {
  const health = await (await fetch(`${t.url}/health`)).json() as { plugins: Array<{ name: string; database: { role: string; poolSize: number; queries: number } | null }> };
  const notes = health.plugins.find((p) => p.name === "notes")!;
  const notesRole = await roleOf(admin, "notes");
  assert.match(notesRole, /^plugin_notes_[0-9a-f]{8}$/, "plugin_ + name + this database's tag");
  assert.is(notes.database?.role, notesRole);
  assert.is(notes.database?.poolSize, 3, "plugins/notes/plugin.json says dbConnections 3");
  assert.ok(notes.database!.queries > 0, "query counters are kept");
  const role = await admin.query("select rolconnlimit from pg_roles where rolname = $1", [notesRole]);
  assert.is(role.rows[0].rolconnlimit, 8, "CONNECTION LIMIT = two pools (a swap) + 2");
  assert.is(health.plugins.find((p) => p.name === "dbe2e-values")!.database?.poolSize, 5, "the default without dbConnections");
  const echo = health.plugins.find((p) => p.name === "dbe2e-badmig");
  assert.ok(echo, "the failed plugin is listed too");
});

database.run();
restart.run();
