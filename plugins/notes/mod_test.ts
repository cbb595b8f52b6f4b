/** Tests of the notes plugin through @corral/sdk/testing, with a fake database. @module */

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { DatabaseError } from "@corral/sdk";
import { fakeDatabase, type FakeQuery, testPlugin } from "@corral/sdk/testing";
import plugin, { type Database } from "./mod.ts";

const at = new Date("2024-05-01T12:00:00.000Z");
const row = (id: string, title = "a note") => ({ id, title, body: "", created_at: at, updated_at: at });

/** The statement's verb and first table, e.g. "insert note_tags", or the transaction step. */
function step(query: FakeQuery): string {
  const table = /(?:from|into|update) "(\w+)"/.exec(query.sql)?.[1];
  return table === undefined ? query.sql.split(" ")[0]! : `${query.sql.split(" ")[0]} ${table}`;
}

async function post(body: unknown, raw?: string) {
  const fake = fakeDatabase<Database>();
  await using notes = await testPlugin(plugin, { db: fake.db, migrate: false });
  const response = await notes.fetch("/notes", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify(body),
  });
  return { status: response.status, json: await response.json(), log: fake.log };
}

Deno.test("notes: a bad note is a 400 that names the field; the database is not touched", async () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{}, "title", /title is required/],
    [{ title: "   " }, "title", /must not be empty/],
    [{ title: 5 }, "title", /title must be a string, got number/],
    [{ title: "x".repeat(201) }, "title", /at most 200 characters, got 201/],
    [{ title: "ok", tags: "a" }, "tags", /tags must be an array/],
    [{ title: "ok", tags: [""] }, "tags", /non-empty string/],
    [{ title: "ok", color: "red" }, "color", /unknown field "color"/],
    [[1, 2], "request", /must be a JSON object, got an array/],
  ];
  for (const [body, field, message] of cases) {
    const { status, json, log } = await post(body);
    strictEqual(status, 400, JSON.stringify(body));
    strictEqual(json.error.code, "invalid-request");
    strictEqual(json.error.field, field);
    match(json.error.message, message);
    strictEqual(log.length, 0, "no statement was sent");
  }
  const fake = fakeDatabase<Database>();
  await using notes = await testPlugin(plugin, { db: fake.db, migrate: false });
  await (await notes.fetch("/notes", { method: "POST", body: "{}" })).body?.cancel();
  strictEqual(notes.logs.length, 0, "a refusal is an answer, not a failure to log");
  const broken = await post(undefined, "{not json");
  strictEqual(broken.status, 400);
  strictEqual(broken.json.error.code, "invalid-json");
});

Deno.test("notes: bad ids and paging parameters are 400s", async () => {
  const fake = fakeDatabase<Database>();
  await using notes = await testPlugin(plugin, { db: fake.db, migrate: false });
  for (const path of ["/notes/abc", "/notes/0", "/notes/1.5", "/notes?limit=0", "/notes?limit=101", "/notes?offset=-1"]) {
    const response = await notes.fetch(path);
    strictEqual(response.status, 400, path);
    strictEqual((await response.json()).error.code, "invalid-request", path);
  }
  strictEqual(fake.log.length, 0);
});

Deno.test("notes: POST /notes inserts the note and its tags in one transaction", async () => {
  const fake = fakeDatabase<Database>((query) => step(query) === "insert notes" ? [row("7", "Groceries")] : undefined);
  await using notes = await testPlugin(plugin, { db: fake.db, migrate: false });
  const response = await notes.fetch("/notes", {
    method: "POST",
    body: JSON.stringify({ title: " Groceries ", tags: ["Food", "home", "food"] }),
  });
  strictEqual(response.status, 201);
  strictEqual(response.headers.get("location"), "notes/7");
  const note = await response.json();
  deepStrictEqual(note, { ...row("7", "Groceries"), created_at: at.toISOString(), updated_at: at.toISOString(), tags: ["food", "home"] });
  deepStrictEqual(fake.log.map(step), ["begin", "insert notes", "insert note_tags", "commit"]);
  ok(fake.log.every((q) => q.transactionId === 1), "every statement ran in the transaction");
  deepStrictEqual(fake.log[2]!.parameters, ["7", "food", "7", "home"]);
});

Deno.test("notes: when the tags cannot be stored, the note is rolled back too", async () => {
  const fake = fakeDatabase<Database>((query) => {
    if (step(query) === "insert notes") return [row("8")];
    if (step(query) === "insert note_tags") throw new DatabaseError("disk full", "53100", "CORRAL_E_DB_QUERY");
  });
  await using notes = await testPlugin(plugin, { db: fake.db, migrate: false });
  const response = await notes.fetch("/notes", { method: "POST", body: JSON.stringify({ title: "x", tags: ["a"] }) });
  strictEqual(response.status, 500);
  deepStrictEqual(await response.json(), { error: { code: "internal", message: "the notes plugin failed to answer; see the host log" } });
  deepStrictEqual(fake.log.map(step), ["begin", "insert notes", "insert note_tags", "rollback"]);
  const logged = notes.logs.filter((r) => r.level === "error");
  strictEqual(logged.length, 1, "logged once, for the operator");
  match(logged[0]!.message, /POST \/notes failed: disk full/);
  strictEqual(logged[0]!.fields?.error, "DatabaseError");
});

Deno.test("notes: GET /notes pages with limit and offset, and reports the total", async () => {
  const fake = fakeDatabase<Database>((query) => {
    if (query.sql.includes("count(*)")) return [{ total: "42" }];
    if (step(query) === "select notes") return [row("3"), row("2")];
    if (step(query) === "select note_tags") return [{ note_id: "2", tag: "x" }];
  });
  await using notes = await testPlugin(plugin, { db: fake.db, migrate: false });
  const response = await notes.fetch("/notes?limit=2&offset=4");
  strictEqual(response.status, 200);
  const page = await response.json();
  strictEqual(page.total, 42);
  strictEqual(page.limit, 2);
  strictEqual(page.offset, 4);
  deepStrictEqual(page.notes.map((n: { id: string; tags: string[] }) => [n.id, n.tags]), [["3", []], ["2", ["x"]]]);
  const select = fake.log.find((q) => step(q) === "select notes" && !q.sql.includes("count"))!;
  match(select.sql, /order by "created_at" desc, "id" desc limit \$1 offset \$2$/);
  deepStrictEqual(select.parameters, [2, 4]);
});

Deno.test("notes: a missing note is a 404 for GET, PATCH and DELETE", async () => {
  const fake = fakeDatabase<Database>((query) => step(query) === "delete notes" ? { rowCount: 0 } : []);
  await using notes = await testPlugin(plugin, { db: fake.db, migrate: false });
  for (const [method, body] of [["GET", undefined], ["PATCH", JSON.stringify({ title: "new" })], ["DELETE", undefined]]) {
    const response = await notes.fetch("/notes/99", { method, body });
    strictEqual(response.status, 404, method);
    deepStrictEqual(await response.json(), { error: { code: "not-found", message: "note 99 does not exist" } });
  }
});

Deno.test("notes: without a database, ctx.db says how to provide one", async () => {
  await using notes = await testPlugin(plugin);
  const response = await notes.fetch("/notes");
  strictEqual(response.status, 500);
  match(notes.logs.find((r) => r.level === "error")?.message ?? "", /has no database under testPlugin\(\): pass one as the db option/);
});
