/**
 * What an operator can do to installed plugins at runtime. The admin API, the dashboard and the
 * CLI go through this; the plugin manager implements it and records each decision in Postgres,
 * so every host sharing the database follows.
 */

/** Who asked, for the log and the audit trail. */
export interface Actor {
  readonly name: string;
  readonly role: string;
}

/** What to do with enabled plugins that depend on one being disabled. */
export type DependentsChoice = "disable" | "keep";

export interface InstalledVersion {
  readonly version: string;
  readonly active: boolean;
  readonly installedAt: string;
  /** "folder": the plugins folder holds it; "installed": installed through the admin API (stored in the database). */
  readonly source?: "folder" | "installed";
  /** Its migrations' names, once a host ran it; null when not known yet. */
  readonly migrations?: readonly string[] | null;
}

/** The outcome of an operation, as the admin API answers it. */
export interface OperationResult {
  readonly name: string;
  /** What happened, one sentence (e.g. `disabled "auth" and its dependents "blog", "shop"`). */
  readonly message: string;
  /** Other plugins the operation also changed (dependents disabled with it, re-enabled...). */
  readonly alsoChanged: readonly string[];
}

export interface PluginOperations {
  /** Enables a plugin and starts it (unless lazy); persisted. */
  enable(name: string, actor: Actor): Promise<OperationResult>;
  /**
   * Disables a plugin: new requests get 503, in-flight ones drain, the process stops; persisted.
   * Refused with CORRAL_E_HAS_DEPENDENTS (409), naming them, when enabled plugins depend on it
   * and `dependents` is not given.
   */
  disable(name: string, actor: Actor, options?: { readonly dependents?: DependentsChoice; readonly reason?: string }): Promise<OperationResult>;
  /** Starts a new process, switches traffic to it once ready, drains and stops the old one. */
  restart(name: string, actor: Actor): Promise<OperationResult>;
  /** The installed versions of a plugin, newest first. */
  versions(name: string): Promise<readonly InstalledVersion[]>;
  /**
   * Makes an installed version the active one (also a rollback). Refused when the target lacks
   * migrations already applied, unless `undoMigrations` runs their `down` first.
   */
  activate(name: string, version: string, actor: Actor, options?: { readonly undoMigrations?: boolean }): Promise<OperationResult>;
  /**
   * Installs the plugin folder at `path` (on the host) as a version, stored in the database so
   * every host can run it; does not activate it. Refused over the install size limit.
   */
  install(path: string, actor: Actor): Promise<OperationResult & { readonly version: string }>;
}
