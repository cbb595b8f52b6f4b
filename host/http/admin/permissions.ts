/**
 * What an admin API caller may do. Every admin route names the one permission it needs; roles
 * are sets of permissions (docs/admin-api.md states them).
 */
export type AdminPermission =
  /** List and inspect plugins, their grants, health, limits and migrations status. */
  | "plugins.read"
  /** Read plugins' logs and the host's metrics. */
  | "observe.read"
  /** Restart, enable, disable, reload; take a CPU profile; start the inspector. */
  | "plugins.operate"
  /** Install, uninstall, switch versions, run or undo migrations. */
  | "plugins.manage"
  /** Manage admin users and tokens; read the audit log. */
  | "access.manage";

export type AdminRole = "admin" | "operator" | "viewer";

export const ROLE_PERMISSIONS: Readonly<Record<AdminRole, readonly AdminPermission[]>> = {
  admin: ["plugins.read", "observe.read", "plugins.operate", "plugins.manage", "access.manage"],
  operator: ["plugins.read", "observe.read", "plugins.operate"],
  viewer: ["plugins.read", "observe.read"],
};
