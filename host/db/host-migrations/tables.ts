/** The row types of the host's own tables, for a typed `Kysely<HostTables>` on the admin pool. */
import type { ColumnType, Generated } from "kysely";

/** A timestamp the database fills in: read as Date, optional on insert. */
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** corral.plugins: one row per installed plugin. */
export interface PluginsTable {
  readonly name: string;
  active_version: string | null;
  enabled: Generated<boolean>;
  /** Free text owned by the installer and supervisor, e.g. "installed", "running", "failed". */
  state: Generated<string>;
  installed_at: CreatedAt;
  updated_at: CreatedAt;
}

/** corral.plugin_versions: every version of a plugin the host has installed. */
export interface PluginVersionsTable {
  readonly name: string;
  readonly version: string;
  /** The validated manifest, as JSON. */
  manifest: ColumnType<unknown, string, string>;
  installed_at: CreatedAt;
}

/** corral.plugin_databases: the roles and schemas provisioned for plugins with `"database": true`. */
export interface PluginDatabasesTable {
  readonly name: string;
  role_name: string;
  schema_name: string;
  created_at: CreatedAt;
}

/** corral.plugin_state_history: each plugin state change a host saw (host/monitoring/). */
export interface PluginStateHistoryTable {
  readonly id: Generated<string>;
  plugin: string;
  host_id: string;
  at: CreatedAt;
  from_state: string;
  to_state: string;
  reason: string;
}

/**
 * The host's tables, keyed as Kysely expects for a schema-qualified name.
 *
 * @example
 * ```ts
 * const db = new Kysely<HostTables>({ dialect: new PostgresDialect({ pool: adminPool }) });
 * await db.selectFrom("corral.plugins").selectAll().execute();
 * ```
 */
export interface HostTables {
  "corral.plugins": PluginsTable;
  "corral.plugin_versions": PluginVersionsTable;
  "corral.plugin_databases": PluginDatabasesTable;
  "corral.plugin_state_history": PluginStateHistoryTable;
}
