/**
 * What the host remembers about plugins in its own schema: each plugin's active version and
 * state, every manifest version it has loaded, and the databases it provisioned.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import type pg from "pg";
import type { Manifest } from "../manifest/manifest.ts";
import type { HostTables } from "./host-migrations/tables.ts";

export class PluginStore {
  readonly #db: Kysely<HostTables>;

  constructor(adminPool: pg.Pool) {
    this.#db = new Kysely<HostTables>({ dialect: new PostgresDialect({ pool: adminPool }) });
  }

  /** Records that `manifest` was loaded and is the active version. */
  async recordLoaded(manifest: Manifest): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.insertInto("corral.plugins")
        .values({ name: manifest.name, active_version: manifest.version, state: "loading" })
        .onConflict((oc) => oc.column("name").doUpdateSet({
          active_version: manifest.version,
          state: "loading",
          updated_at: sql`now()`,
        }))
        .execute();
      await tx.insertInto("corral.plugin_versions")
        .values({ name: manifest.name, version: manifest.version, manifest: JSON.stringify(manifest) })
        .onConflict((oc) => oc.columns(["name", "version"]).doUpdateSet({ manifest: JSON.stringify(manifest) }))
        .execute();
    });
  }

  /** Whether the operator disabled the plugin (a plugin never seen before is enabled). */
  async isEnabled(name: string): Promise<boolean> {
    const row = await this.#db.selectFrom("corral.plugins").select("enabled").where("name", "=", name).executeTakeFirst();
    return row?.enabled ?? true;
  }

  async recordState(name: string, state: string): Promise<void> {
    await this.#db.updateTable("corral.plugins")
      .set({ state, updated_at: sql`now()` })
      .where("name", "=", name)
      .execute();
  }

  /** After a purge: the plugin has no database any more. */
  async forgetDatabase(name: string): Promise<void> {
    await this.#db.deleteFrom("corral.plugin_databases").where("name", "=", name).execute();
  }

  /** The role and schema recorded for the plugin's database, if it has one. */
  async recordedDatabase(name: string): Promise<{ role: string; schema: string } | undefined> {
    const row = await this.#db.selectFrom("corral.plugin_databases")
      .select(["role_name", "schema_name"]).where("name", "=", name).executeTakeFirst();
    return row === undefined ? undefined : { role: row.role_name, schema: row.schema_name };
  }

  /** Records the plugin's role and schema; a changed role (moved off a shared one) replaces the old. */
  async recordDatabase(name: string, role: string, schema: string): Promise<void> {
    await this.#db.insertInto("corral.plugin_databases")
      .values({ name, role_name: role, schema_name: schema })
      .onConflict((oc) => oc.column("name").doUpdateSet({ role_name: role, schema_name: schema }))
      .execute();
  }
}
