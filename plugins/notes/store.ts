/**
 * The notes plugin's queries. Writes that touch two tables run in one transaction, so a note
 * never exists without its tags, nor a PATCH half-applied.
 *
 * @module
 */

import type { Kysely, Transaction } from "kysely";
import type { Database, Note } from "./schema.ts";
import type { NewNote, NoteChanges, Page } from "./validate.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** A page of notes, newest first, and how many there are in all. */
export async function listNotes(db: Kysely<Database>, page: Page): Promise<{ notes: Note[]; total: number }> {
  const rows = await db.selectFrom("notes").selectAll()
    .orderBy("created_at", "desc").orderBy("id", "desc")
    .limit(page.limit).offset(page.offset)
    .execute();
  const { total } = await db.selectFrom("notes").select((eb) => eb.fn.countAll<string>().as("total")).executeTakeFirstOrThrow();
  // count(*) is an int8, which arrives as a string.
  return { notes: await withTags(db, rows), total: Number(total) };
}

/** One note, or undefined. */
export async function getNote(db: Db, id: string): Promise<Note | undefined> {
  const row = await db.selectFrom("notes").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? undefined : (await withTags(db, [row]))[0];
}

/** Inserts a note and its tags in one transaction. */
export function createNote(db: Kysely<Database>, note: NewNote): Promise<Note> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.insertInto("notes").values({ title: note.title, body: note.body }).returningAll().executeTakeFirstOrThrow();
    await insertTags(trx, row.id, note.tags);
    return { ...row, tags: [...note.tags] };
  });
}

/** Applies `changes` (tags replaced as a whole) in one transaction; undefined when there is no such note. */
export function updateNote(db: Kysely<Database>, id: string, changes: NoteChanges): Promise<Note | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.updateTable("notes")
      .set({
        ...(changes.title === undefined ? {} : { title: changes.title }),
        ...(changes.body === undefined ? {} : { body: changes.body }),
        updated_at: new Date(),
      })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return undefined;
    if (changes.tags !== undefined) {
      await trx.deleteFrom("note_tags").where("note_id", "=", id).execute();
      await insertTags(trx, id, changes.tags);
    }
    return (await getNote(trx, id))!;
  });
}

/** Deletes a note (its tags go with it); false when there was none. */
export async function deleteNote(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom("notes").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

async function insertTags(db: Db, noteId: string, tags: readonly string[]): Promise<void> {
  if (tags.length === 0) return;
  await db.insertInto("note_tags").values(tags.map((tag) => ({ note_id: noteId, tag }))).execute();
}

async function withTags(db: Db, rows: Omit<Note, "tags">[]): Promise<Note[]> {
  if (rows.length === 0) return [];
  const tags = await db.selectFrom("note_tags").select(["note_id", "tag"])
    .where("note_id", "in", rows.map((row) => row.id))
    .orderBy("tag")
    .execute();
  return rows.map((row) => ({ ...row, tags: tags.filter((t) => t.note_id === row.id).map((t) => t.tag) }));
}
