/** Host migration 0001: the host's own schema `corral`, what is installed and which databases exist. */
import { sql } from "kysely";
import type { Kysely, Migration } from "kysely";

/** Creates corral.plugins, corral.plugin_versions and corral.plugin_databases. */
export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createSchema("corral").ifNotExists().execute();
    const corral = db.withSchema("corral");

    await corral.schema.createTable("plugins")
      .addColumn("name", "text", (col) => col.primaryKey())
      .addColumn("active_version", "text")
      .addColumn("enabled", "boolean", (col) => col.notNull().defaultTo(true))
      .addColumn("state", "text", (col) => col.notNull().defaultTo("installed"))
      .addColumn("installed_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .execute();

    // A plugin's versions go with it when it is uninstalled.
    await corral.schema.createTable("plugin_versions")
      .addColumn("name", "text", (col) => col.notNull().references("plugins.name").onDelete("cascade"))
      .addColumn("version", "text", (col) => col.notNull())
      .addColumn("manifest", "jsonb", (col) => col.notNull())
      .addColumn("installed_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint("plugin_versions_pkey", ["name", "version"])
      .execute();

    // No foreign key to plugins: uninstall without --purge keeps the role, the schema and this row.
    // No password column either: passwords derive from the host secret (see host-secret.ts).
    await corral.schema.createTable("plugin_databases")
      .addColumn("name", "text", (col) => col.primaryKey())
      .addColumn("role_name", "text", (col) => col.notNull().unique())
      .addColumn("schema_name", "text", (col) => col.notNull().unique())
      .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    const corral = db.withSchema("corral");
    await corral.schema.dropTable("plugin_databases").execute();
    await corral.schema.dropTable("plugin_versions").execute();
    await corral.schema.dropTable("plugins").execute();
  },
};
