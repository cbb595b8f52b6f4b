/**
 * The notes plugin: a small HTML app and a JSON API over the plugin's own Postgres schema. It
 * shows a plugin with `"database": true`, Kysely migrations, typed queries and transactions, and
 * server-rendered pages (templates/, static/notes.css, a CSRF-protected form: see pages.ts).
 *
 * Routes (under /plugins/notes):
 * - `GET /`: the HTML page (notes and a form); `POST /` (form fields title, body, tags): adds one
 * - `GET /notes?limit=20&offset=0`: `{ notes, total, limit, offset }`, newest first
 * - `GET /notes/:id`: one note, or 404
 * - `POST /notes` `{ title, body?, tags? }`: 201 with the note (note and tags in one transaction)
 * - `PATCH /notes/:id` `{ title?, body?, tags? }`: the updated note (tags replaced), or 404
 * - `DELETE /notes/:id`: 204, or 404
 *
 * A note is `{ id, title, body, tags, created_at, updated_at }`; `id` is a string (a bigserial,
 * which Postgres' int8 type carries as text). Errors are `{ error: { code, message, field? } }`:
 * 400 `invalid-request` / `invalid-json`, 404 `not-found`, 500 `internal`.
 *
 * @module
 */

import { definePlugin, type PluginEnv } from "@corral/sdk";
import { Hono } from "hono";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { announceNote } from "./announce.ts";
import { excerpt, isoDate, siteValues } from "./helpers.ts";
import { migrations } from "./migrations.ts";
import { pages } from "./pages.ts";
import { adminMenuEntry, adminPage } from "./admin-page.ts";
import type { Database } from "./schema.ts";
import { createNote, deleteNote, getNote, listNotes, updateNote } from "./store.ts";
import { InvalidRequest, parseId, parseNewNote, parseNoteChanges, parsePage } from "./validate.ts";

export type { Database } from "./schema.ts";

type Env = PluginEnv<Database>;

const app = new Hono<Env>();
app.route("/", pages);
// Guarded by the host (plugin.json access: /admin/* needs "admin"), listed by plugins/admin.
app.route("/admin", adminPage);

app.get("/notes", async (c) => {
  const page = parsePage(c.req.query("limit"), c.req.query("offset"));
  const { notes, total } = await listNotes(c.env.db, page);
  return c.json({ notes, total, ...page });
});

app.get("/notes/:id", async (c) => {
  const id = parseId(c.req.param("id"));
  const note = await getNote(c.env.db, id);
  return note === undefined ? notFound(c, id) : c.json(note);
});

app.post("/notes", async (c) => {
  const note = await createNote(c.env.db, parseNewNote(await jsonBody(c)));
  await announceNote(c.env, note);
  return c.json(note, 201, { location: `notes/${note.id}` });
});

app.patch("/notes/:id", async (c) => {
  const id = parseId(c.req.param("id"));
  const note = await updateNote(c.env.db, id, parseNoteChanges(await jsonBody(c)));
  return note === undefined ? notFound(c, id) : c.json(note);
});

app.delete("/notes/:id", async (c) => {
  const id = parseId(c.req.param("id"));
  return await deleteNote(c.env.db, id) ? c.body(null, 204) : notFound(c, id);
});

// The SDK has already logged the error with its stack for the operator; the client gets only
// what it can act on. Refusals (InvalidRequest) are HTTPExceptions and answer themselves.
app.onError((error, c) => {
  if (error instanceof HTTPException) return error.getResponse();
  return c.json({ error: { code: "internal", message: "the notes plugin failed to answer; see the host log" } }, 500);
});

async function jsonBody(c: Context<Env>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new InvalidRequest("request", "the request body must be JSON (content-type: application/json)", "invalid-json");
  }
}

function notFound(c: Context<Env>, id: string): Response {
  return c.json({ error: { code: "not-found", message: `note ${id} does not exist` } }, 404);
}

export default definePlugin<Database>({
  app,
  migrations,
  templates: { helpers: { excerpt, isoDate }, contextProcessors: [siteValues] },
  contributions: { "admin.pages": adminMenuEntry },
});
