/**
 * The notes plugin's migrations, applied in name order by the runner before the plugin starts.
 * Applied migrations never change: a new column or table is a new migration.
 *
 * @module
 */

import type { PluginMigrations } from "@corral/sdk";
import { sql } from "kysely";

export const migrations: PluginMigrations = {
  "0001_notes": {
    async up(db) {
      await db.schema.createTable("notes")
        .addColumn("id", "bigserial", (col) => col.primaryKey())
        .addColumn("title", "text", (col) => col.notNull())
        .addColumn("body", "text", (col) => col.notNull().defaultTo(""))
        .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
        .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
        .execute();
      // Listing pages newest first.
      await db.schema.createIndex("notes_created_at").on("notes").columns(["created_at desc", "id desc"]).execute();
    },
    async down(db) {
      await db.schema.dropTable("notes").execute();
    },
  },
  "0002_note_tags": {
    async up(db) {
      await db.schema.createTable("note_tags")
        .addColumn("note_id", "bigint", (col) => col.notNull().references("notes.id").onDelete("cascade"))
        .addColumn("tag", "text", (col) => col.notNull())
        .addPrimaryKeyConstraint("note_tags_pk", ["note_id", "tag"])
        .execute();
      await db.schema.createIndex("note_tags_tag").on("note_tags").column("tag").execute();
    },
    async down(db) {
      await db.schema.dropTable("note_tags").execute();
    },
  },
};
