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
  /** 0002-manager: who disabled the plugin, why, when, and the plugin it was disabled with. */
  disabled_by: string | null;
  disabled_reason: string | null;
  disabled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  disabled_with: string | null;
  /** 0004-manager-restart: incremented by each (cluster-wide) restart; hosts restart when theirs is older. */
  restart_generation: Generated<number>;
  /** 0006-uninstalled: when and by whom it was uninstalled (cluster-wide); null while installed. */
  uninstalled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  uninstalled_by: string | null;
}

/** corral.plugin_versions: every version of a plugin the host has installed. */
export interface PluginVersionsTable {
  readonly name: string;
  readonly version: string;
  /** The validated manifest, as JSON. */
  manifest: ColumnType<unknown, string, string>;
  installed_at: CreatedAt;
  /** 0002-manager: "folder" (the plugins folder) or "installed" (files in corral.plugin_files). */
  source: Generated<string>;
  /** 0002-manager: its migration names, once a host ran it; null until then. */
  migrations: ColumnType<string[] | null, string | null | undefined, string | null>;
  files_bytes: ColumnType<string | null, number | null | undefined, number | null>;
}

/** corral.plugin_files (0002-manager): an installed version's files. */
export interface PluginFilesTable {
  readonly name: string;
  readonly version: string;
  readonly path: string;
  sha256: string;
  content: Buffer;
}

/** corral.plugin_databases: the roles and schemas provisioned for plugins with `"database": true`. */
export interface PluginDatabasesTable {
  readonly name: string;
  role_name: string;
  schema_name: string;
  created_at: CreatedAt;
}

/** corral.admin_users: people who sign in to the dashboard (migration 0003-access). */
export interface AdminUsersTable {
  readonly name: string;
  role: string;
  /** scrypt, with its parameters and salt: see host/admin/passwords.ts. */
  password_hash: string;
  created_at: CreatedAt;
  created_by: string;
  updated_at: CreatedAt;
}

/** corral.admin_tokens: API tokens, by the SHA-256 of the token; `role` xor `owner`. */
export interface AdminTokensTable {
  readonly id: string;
  name: string;
  role: string | null;
  owner: string | null;
  token_hash: string;
  created_at: CreatedAt;
  created_by: string;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** corral.admin_sessions: dashboard sessions, by the SHA-256 of the cookie's value. */
export interface AdminSessionsTable {
  readonly id_hash: string;
  user_name: string;
  created_at: CreatedAt;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

/** corral.audit_log: every change made through the admin API or dashboard, and every login. */
export interface AuditLogTable {
  readonly id: Generated<string>;
  at: CreatedAt;
  actor: string | null;
  role: string | null;
  action: string;
  plugin: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: number;
  address: string | null;
  request_id: string | null;
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
  "corral.plugin_files": PluginFilesTable;
  "corral.admin_users": AdminUsersTable;
  "corral.admin_tokens": AdminTokensTable;
  "corral.admin_sessions": AdminSessionsTable;
  "corral.audit_log": AuditLogTable;
  "corral.plugin_state_history": PluginStateHistoryTable;
}
