/** Host migration 0004: every plugin state change, with which host saw it and why (host/monitoring/). */
import { sql } from "kysely";
import type { Kysely, Migration } from "kysely";

/** Creates corral.plugin_state_history; rows are pruned per plugin (STATE_HISTORY_RETAINED). */
export const stateHistory: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // No foreign key to plugins: the history of an uninstalled plugin stays readable until pruned.
    await db.withSchema("corral").schema.createTable("plugin_state_history")
      .addColumn("id", "bigserial", (col) => col.primaryKey())
      .addColumn("plugin", "text", (col) => col.notNull())
      .addColumn("host_id", "text", (col) => col.notNull())
      .addColumn("at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn("from_state", "text", (col) => col.notNull())
      .addColumn("to_state", "text", (col) => col.notNull())
      .addColumn("reason", "text", (col) => col.notNull())
      .execute();
    await db.withSchema("corral").schema.createIndex("plugin_state_history_plugin_id")
      .on("plugin_state_history").columns(["plugin", "id"]).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.withSchema("corral").schema.dropTable("plugin_state_history").execute();
  },
};
