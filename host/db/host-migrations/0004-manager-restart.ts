/**
 * Host migration 0003: a restart generation per plugin. `restart` is cluster-wide: the host that
 * is asked increments it and NOTIFYs; every host whose process predates the generation restarts
 * its own (by swap). A counter rather than a one-off message, so a host that missed the NOTIFY
 * (its listening connection was down) still restarts when it reconciles.
 */
import type { Kysely, Migration } from "kysely";

export const managerRestart: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.withSchema("corral").schema.alterTable("plugins")
      .addColumn("restart_generation", "integer", (col) => col.notNull().defaultTo(0))
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.withSchema("corral").schema.alterTable("plugins").dropColumn("restart_generation").execute();
  },
};
