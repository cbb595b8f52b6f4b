/**
 * The notes plugin's tables as Kysely sees them. Column types follow what the database hands
 * out: `bigserial` ids arrive as strings (int8, as in node-postgres), `timestamptz` as `Date`.
 *
 * @module
 */

import type { ColumnType, Generated, Selectable } from "kysely";

/** A bigserial id: read as a string, written as a number or string, generated on insert. */
type Id = ColumnType<string, string | number | undefined, never>;
/** A timestamp the database sets by default; updates may set it again. */
type Stamp = ColumnType<Date, never, Date | undefined>;

/** `notes`: one row per note. */
export interface NotesTable {
  id: Id;
  title: string;
  body: Generated<string>;
  created_at: Stamp;
  updated_at: Stamp;
}

/** `note_tags`: a note's tags, one row each; deleted with their note. */
export interface NoteTagsTable {
  note_id: ColumnType<string, string, never>;
  tag: string;
}

/** The plugin's database. */
export interface Database {
  notes: NotesTable;
  note_tags: NoteTagsTable;
}

/** A note as the API answers it. */
export interface Note extends Selectable<NotesTable> {
  tags: string[];
}
