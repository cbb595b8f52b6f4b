/**
 * What the plugin manager decides, in the host database: enabled or not (and who, why, with
 * which plugin), uninstalled or not, the active version, every installed version with its files
 * and migration names.
 * Every host sharing the database reads the same rows; a change is announced with NOTIFY on
 * MANAGER_CHANNEL (host/manager/change-listener.ts).
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import type pg from "pg";
import type { Manifest } from "../manifest/manifest.ts";
import type { HostTables } from "../db/host-migrations/tables.ts";
import type { VersionFile } from "./version-files.ts";

/** The NOTIFY channel hosts listen on; the payload is the plugin's name. */
export const MANAGER_CHANNEL = "corral_manager";

/** One plugin's row as the manager reads it. */
export interface PluginDecision {
  readonly name: string;
  readonly enabled: boolean;
  readonly activeVersion: string | null;
  readonly disabledBy: string | null;
  readonly disabledReason: string | null;
  readonly disabledAt: string | null;
  readonly disabledWith: string | null;
  /** Incremented by each restart; a host whose process predates it restarts its own. */
  readonly restartGeneration: number;
  /** Set by an uninstall (cluster-wide, until an install clears it): every host unloads the plugin. */
  readonly uninstalled: { readonly at: string; readonly by: string } | null;
}

export interface StoredVersion {
  readonly version: string;
  readonly source: "folder" | "installed";
  readonly manifest: Manifest;
  readonly migrations: readonly string[] | null;
  readonly installedAt: string;
}

export class ManagerStore {
  readonly #db: Kysely<HostTables>;
  readonly #pool: pg.Pool;

  constructor(adminPool: pg.Pool) {
    this.#pool = adminPool;
    this.#db = new Kysely<HostTables>({ dialect: new PostgresDialect({ pool: adminPool }) });
  }

  async decision(name: string): Promise<PluginDecision | undefined> {
    return (await this.#decisions(name))[0];
  }

  async decisions(): Promise<PluginDecision[]> {
    return this.#decisions();
  }

  async #decisions(name?: string): Promise<PluginDecision[]> {
    let query = this.#db.selectFrom("corral.plugins")
      .select(["name", "enabled", "active_version", "disabled_by", "disabled_reason", "disabled_at", "disabled_with", "restart_generation", "uninstalled_at", "uninstalled_by"]);
    if (name !== undefined) query = query.where("name", "=", name);
    const rows = await query.execute();
    return rows.map((r) => ({
      name: r.name,
      enabled: r.enabled,
      activeVersion: r.active_version,
      disabledBy: r.disabled_by,
      disabledReason: r.disabled_reason,
      disabledAt: r.disabled_at === null ? null : new Date(r.disabled_at).toISOString(),
      disabledWith: r.disabled_with,
      restartGeneration: r.restart_generation,
      uninstalled: r.uninstalled_at === null ? null : { at: new Date(r.uninstalled_at).toISOString(), by: r.uninstalled_by ?? "unknown" },
    }));
  }

  /**
   * Records an uninstall for every host: the plugin's decisions are reset (a reinstall starts
   * enabled, with no active version) and its installed versions and their files are dropped.
   * Only an install (`storeInstalled`) clears it; state writes never touch it.
   */
  async markUninstalled(name: string, by: string): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.updateTable("corral.plugins").set({
        uninstalled_at: sql`now()`, uninstalled_by: by, state: "uninstalled", active_version: null, enabled: true,
        disabled_by: null, disabled_reason: null, disabled_at: null, disabled_with: null, updated_at: sql`now()`,
      }).where("name", "=", name).execute();
      await tx.deleteFrom("corral.plugin_files").where("name", "=", name).execute();
      await tx.deleteFrom("corral.plugin_versions").where("name", "=", name).execute();
    });
  }

  /**
   * A plugin folder was found: its version is recorded (source "folder"). The plugin's row is
   * created if new; an existing row keeps its decisions, and its active version follows the
   * folder unless the active version is an installed one.
   */
  async recordFolderVersion(manifest: Manifest): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.insertInto("corral.plugins")
        .values({ name: manifest.name, active_version: manifest.version, state: "loading" })
        .onConflict((oc) => oc.column("name").doUpdateSet({ state: "loading", updated_at: sql`now()` }))
        .execute();
      await tx.insertInto("corral.plugin_versions")
        .values({ name: manifest.name, version: manifest.version, manifest: JSON.stringify(manifest), source: "folder" })
        .onConflict((oc) => oc.columns(["name", "version"]).doUpdateSet({ manifest: JSON.stringify(manifest) }).where("corral.plugin_versions.source", "=", "folder"))
        .execute();
      const row = await tx.selectFrom("corral.plugins").select("active_version").where("name", "=", manifest.name).executeTakeFirstOrThrow();
      const active = row.active_version === null ? undefined : await tx.selectFrom("corral.plugin_versions").select("source")
        .where("name", "=", manifest.name).where("version", "=", row.active_version).executeTakeFirst();
      if (active?.source !== "installed" && row.active_version !== manifest.version) {
        await tx.updateTable("corral.plugins").set({ active_version: manifest.version, updated_at: sql`now()` })
          .where("name", "=", manifest.name).execute();
      }
    });
  }

  async setDisabled(names: readonly string[], by: string, reason: string | null, withPlugin: string | null): Promise<void> {
    if (names.length === 0) return;
    await this.#db.updateTable("corral.plugins")
      .set({ enabled: false, disabled_by: by, disabled_reason: reason, disabled_at: sql`now()`, disabled_with: withPlugin, updated_at: sql`now()` })
      .where("name", "in", names)
      .execute();
  }

  async setEnabled(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.#db.updateTable("corral.plugins")
      .set({ enabled: true, disabled_by: null, disabled_reason: null, disabled_at: null, disabled_with: null, updated_at: sql`now()` })
      .where("name", "in", names)
      .execute();
  }

  /** Asks every host to restart `name`: increments its restart generation, and returns it. */
  async bumpRestart(name: string): Promise<number> {
    const row = await this.#db.updateTable("corral.plugins")
      .set({ restart_generation: sql`restart_generation + 1`, updated_at: sql`now()` })
      .where("name", "=", name).returning("restart_generation").executeTakeFirstOrThrow();
    return row.restart_generation;
  }

  /** Plugins disabled together with `name` (the dependents that went down with it). */
  async disabledWith(name: string): Promise<string[]> {
    const rows = await this.#db.selectFrom("corral.plugins").select("name")
      .where("disabled_with", "=", name).where("enabled", "=", false).execute();
    return rows.map((r) => r.name);
  }

  async setActive(name: string, version: string): Promise<void> {
    await this.#db.updateTable("corral.plugins").set({ active_version: version, updated_at: sql`now()` })
      .where("name", "=", name).execute();
  }

  async versions(name: string): Promise<StoredVersion[]> {
    const rows = await this.#db.selectFrom("corral.plugin_versions")
      .select(["version", "source", "manifest", "migrations", "installed_at"])
      .where("name", "=", name).execute();
    return rows.map((r) => ({
      version: r.version,
      source: r.source === "installed" ? "installed" : "folder",
      manifest: r.manifest as Manifest,
      migrations: r.migrations,
      installedAt: new Date(r.installed_at).toISOString(),
    }));
  }

  async version(name: string, version: string): Promise<StoredVersion | undefined> {
    return (await this.versions(name)).find((v) => v.version === version);
  }

  /**
   * Stores an installed version and its files in one transaction (replacing an earlier install of
   * the same version). A plugin never seen before gets its row, disabled: installing is not
   * activating.
   */
  async storeInstalled(manifest: Manifest, files: readonly VersionFile[]): Promise<void> {
    const bytes = files.reduce((sum, f) => sum + f.content.byteLength, 0);
    await this.#db.transaction().execute(async (tx) => {
      // A plugin uninstalled earlier is installed again: the uninstall is lifted.
      await tx.insertInto("corral.plugins")
        .values({ name: manifest.name, active_version: null, state: "installed" })
        .onConflict((oc) => oc.column("name").doUpdateSet({ uninstalled_at: null, uninstalled_by: null, state: "installed", updated_at: sql`now()` })
          .where("corral.plugins.uninstalled_at", "is not", null))
        .execute();
      await tx.insertInto("corral.plugin_versions")
        .values({ name: manifest.name, version: manifest.version, manifest: JSON.stringify(manifest), source: "installed", files_bytes: bytes, migrations: null })
        .onConflict((oc) => oc.columns(["name", "version"]).doUpdateSet({
          manifest: JSON.stringify(manifest), source: "installed", files_bytes: bytes, migrations: null, installed_at: sql`now()`,
        }))
        .execute();
      await tx.deleteFrom("corral.plugin_files").where("name", "=", manifest.name).where("version", "=", manifest.version).execute();
      for (const file of files) {
        await tx.insertInto("corral.plugin_files")
          .values({ name: manifest.name, version: manifest.version, path: file.path, sha256: file.sha256, content: file.content })
          .execute();
      }
    });
  }

  async files(name: string, version: string): Promise<VersionFile[]> {
    const rows = await this.#db.selectFrom("corral.plugin_files").select(["path", "sha256", "content"])
      .where("name", "=", name).where("version", "=", version).orderBy("path").execute();
    return rows.map((r) => ({ path: r.path, sha256: r.sha256, content: r.content }));
  }

  /** What a host learnt by running a version: the names of its migrations. */
  async recordMigrations(name: string, version: string, migrations: readonly string[]): Promise<void> {
    await this.#db.updateTable("corral.plugin_versions").set({ migrations: JSON.stringify(migrations) })
      .where("name", "=", name).where("version", "=", version).execute();
  }

  /** Tells every host listening (this one too) that `name`'s decisions changed. */
  async notify(name: string): Promise<void> {
    await this.#pool.query("SELECT pg_notify($1, $2)", [MANAGER_CHANNEL, name]);
  }
}
