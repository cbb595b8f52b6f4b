/**
 * Host migration 0002: what the plugin manager decides, kept in Postgres so every host sharing
 * the database follows it. Who disabled a plugin, why, and whether it went down with another;
 * where each version comes from; each version's files (so a host that never saw the folder an
 * operator installed from can run it); each version's migration names (to refuse a downgrade).
 */
import type { Kysely, Migration } from "kysely";

export const manager: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const corral = db.withSchema("corral");
    await corral.schema.alterTable("plugins")
      .addColumn("disabled_by", "text")
      .addColumn("disabled_reason", "text")
      .addColumn("disabled_at", "timestamptz")
      // The plugin whose disabling took this one down too; enabling that one brings it back.
      .addColumn("disabled_with", "text")
      .execute();

    await corral.schema.alterTable("plugin_versions")
      // "folder": the plugins folder holds it; "installed": its files are in corral.plugin_files.
      .addColumn("source", "text", (col) => col.notNull().defaultTo("folder"))
      // The names of its migrations, once a host has run it (null: not known yet).
      .addColumn("migrations", "jsonb")
      .addColumn("files_bytes", "bigint")
      .execute();

    await corral.schema.createTable("plugin_files")
      .addColumn("name", "text", (col) => col.notNull())
      .addColumn("version", "text", (col) => col.notNull())
      .addColumn("path", "text", (col) => col.notNull())
      .addColumn("sha256", "text", (col) => col.notNull())
      .addColumn("content", "bytea", (col) => col.notNull())
      .addPrimaryKeyConstraint("plugin_files_pkey", ["name", "version", "path"])
      .addForeignKeyConstraint("plugin_files_version_fkey", ["name", "version"], "plugin_versions", ["name", "version"],
        (fk) => fk.onDelete("cascade"))
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    const corral = db.withSchema("corral");
    await corral.schema.dropTable("plugin_files").execute();
    await corral.schema.alterTable("plugin_versions").dropColumn("source").dropColumn("migrations").dropColumn("files_bytes").execute();
    await corral.schema.alterTable("plugins")
      .dropColumn("disabled_by").dropColumn("disabled_reason").dropColumn("disabled_at").dropColumn("disabled_with").execute();
  },
};
