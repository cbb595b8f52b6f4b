/**
 * Host migration 0006: uninstalling is a decision of its own, like being disabled. `state` is free
 * text that every host's supervisors keep writing ("stopped", "ready"...), so a plugin still
 * running on another host, or the stopping process's last write, overwrote "uninstalled". The
 * uninstall now has its own columns, which only an uninstall sets and only an install clears;
 * rows uninstalled before this migration keep that status.
 */
import { sql } from "kysely";
import type { Kysely, Migration } from "kysely";

export const uninstalled: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.withSchema("corral").schema.alterTable("plugins")
      .addColumn("uninstalled_at", "timestamptz")
      .addColumn("uninstalled_by", "text")
      .execute();
    await sql`update corral.plugins set uninstalled_at = updated_at, uninstalled_by = 'unknown' where state = 'uninstalled'`.execute(db);
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.withSchema("corral").schema.alterTable("plugins").dropColumn("uninstalled_at").dropColumn("uninstalled_by").execute();
  },
};
