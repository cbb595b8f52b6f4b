/**
 * The plugin manager: owns, per plugin name, the `ManagedPlugin` that stands behind it, and
 * implements the operator's actions (`PluginOperations`). Every decision is written to Postgres
 * first and announced with NOTIFY; each host then brings its own processes in line with the
 * database (`reconcile`), the one that acted and the others alike, so N hosts follow one database.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import semver from "semver";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import { parseMigrationGap } from "../../schemas/migration-gap.ts";
import type { Logger } from "../logger.ts";
import { loadManifest } from "../manifest/manifest.ts";
import type { LoadedManifest } from "../manifest/manifest.ts";
import type { PluginHandle } from "../plugins/plugin-handle.ts";
import type { DeploymentFactory } from "./create-handle.ts";
import { dependentsOf, quoted } from "./dependents.ts";
import { ManagedPlugin } from "./managed-plugin.ts";
import type { ManagedPluginHooks, SwapRecord } from "./managed-plugin.ts";
import type { ManagerStore, PluginDecision, StoredVersion } from "./manager-store.ts";
import type { Actor, DependentsChoice, InstalledVersion, OperationResult, PluginOperations } from "./operations.ts";
import { DEFAULT_INSTALL_LIMITS, readVersionFiles, sha256, writeVersionFiles } from "./version-files.ts";
import type { InstallLimits } from "./version-files.ts";

/** The lifecycle events the manager sends (host/events/host-events.ts). */
export interface ManagerEvents {
  enabled(plugin: PluginHandle, reason?: string): void;
  disabled(plugin: PluginHandle, reason?: string): void;
}

export interface PluginManagerOptions {
  /** The host's map of plugins by name, filled by the manager (events and templates read it live). */
  readonly plugins: Map<string, ManagedPlugin>;
  readonly store: ManagerStore;
  /** Read when a deployment is made (the host builds it once it knows its own port). */
  readonly factory: () => DeploymentFactory;
  readonly hooks: ManagedPluginHooks;
  readonly events: ManagerEvents;
  readonly log: Logger;
  /** Installed versions are written under `<dataDir>/versions/<name>/<version>/`. */
  readonly dataDir: string;
  readonly drainMs?: number;
  readonly stopDeadlineMs?: number;
  readonly installLimits?: InstallLimits;
  /** Whether the host is shutting down: nothing is started then. */
  readonly isStopping: () => boolean;
  /**
   * A plugin first appeared at runtime (installed through the admin API, here or on another
   * host) and was started: the host configures what it reads from manifests once at start
   * (global hooks) again.
   */
  readonly added?: (plugin: ManagedPlugin) => void;
  /**
   * A plugin was uninstalled (here or on another host) and has left this host's map: the host
   * stops it for good and forgets what it kept for it (routes, static files, caches, series).
   */
  readonly removed?: (plugin: ManagedPlugin) => Promise<void>;
}

/** What `load` did with a plugin found in the plugins folder. */
export type LoadOutcome = "enabled" | "disabled" | "uninstalled";

/** Applied migrations that a version lacks, and the status report they were read from. */
interface MigrationGap {
  readonly applied: readonly string[];
  readonly missing: readonly string[];
}

export class PluginManager implements PluginOperations {
  readonly #options: PluginManagerOptions;
  readonly #plugins: Map<string, ManagedPlugin>;
  readonly #store: ManagerStore;
  readonly #log: Logger;
  /** The plugins folder's copy of each plugin, as last read (hot reload re-reads it). */
  readonly #folders = new Map<string, LoadedManifest>();
  /** Names in load order (a dependency before its dependents). */
  readonly #order: string[] = [];
  /** Per plugin, the restart generation this host's process reflects (restarts are cluster-wide). */
  readonly #restartSeen = new Map<string, number>();
  /** One operation at a time per plugin name. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(options: PluginManagerOptions) {
    this.#options = options;
    this.#plugins = options.plugins;
    this.#store = options.store;
    this.#log = options.log;
  }

  /** The managed plugin behind a name (enabled or disabled), or undefined. */
  lookup(name: string): ManagedPlugin | undefined {
    return this.#plugins.get(name);
  }

  /**
   * Takes a plugin found in the plugins folder under management at host start: records it, and
   * creates its deployment (of the active version) unless it is disabled. Call in load order.
   *
   * A plugin uninstalled cluster-wide is not loaded: its folder is ignored until it is installed
   * again (an uninstall on one host must not come back when another host restarts).
   *
   * @returns "enabled" (to be started), "disabled" or "uninstalled".
   * @throws {CorralError} POLICY_DENIED and database errors: the plugin is refused.
   */
  async load(folder: LoadedManifest): Promise<LoadOutcome> {
    const name = folder.manifest.name;
    const before = await this.#store.decision(name);
    if (before?.uninstalled) {
      this.#log.forPlugin(name).warn("plugin folder ignored: the plugin was uninstalled", {
        at: before.uninstalled.at, by: before.uninstalled.by, dir: folder.dir, reinstall: `npx corral install ${folder.dir} --activate`,
      });
      return "uninstalled";
    }
    this.#folders.set(name, folder);
    if (!this.#order.includes(name)) this.#order.push(name);
    await this.#store.recordFolderVersion(folder.manifest);
    const decision = await this.#store.decision(name);
    this.#restartSeen.set(name, decision?.restartGeneration ?? 0);
    const loaded = (await this.#desired(name, decision)) ?? folder;
    const plugin = this.#managed(loaded);
    this.#plugins.set(name, plugin);
    if (decision !== undefined && !decision.enabled) {
      plugin.markDisabled(disabledInfo(decision));
      this.#log.forPlugin(name).info("plugin is disabled; not starting it", { by: decision.disabledBy, reason: decision.disabledReason });
      return "disabled";
    }
    await plugin.deploy(loaded);
    return "enabled";
  }

  /**
   * After the first start: plugins known to the database but absent from this host's plugins
   * folder (installed through another host) are loaded from their stored files.
   */
  async loadInstalledElsewhere(): Promise<void> {
    for (const decision of await this.#store.decisions()) {
      if (this.#plugins.has(decision.name) || decision.activeVersion === null || decision.uninstalled !== null) continue;
      await this.reconcile(decision.name).catch((error: unknown) =>
        this.#log.forPlugin(decision.name).error("could not load the installed plugin", { error: (error as Error).message }));
    }
  }

  /** Forgets a plugin (uninstalled, or held back at start); returns what stood behind it. */
  unload(name: string): ManagedPlugin | undefined {
    const plugin = this.#plugins.get(name);
    this.#plugins.delete(name);
    return plugin;
  }

  // ---- operations -------------------------------------------------------------------------

  /**
   * Uninstalls a plugin on every host sharing the database: the decision is written first (and
   * stays until an install), announced, then applied here as every other host applies it when
   * it hears (`reconcile`). Moving its folder and purging its data are the caller's.
   *
   * @returns the plugin as it stood here, already stopped.
   */
  async uninstall(name: string, actor: Actor): Promise<ManagedPlugin> {
    const plugin = this.#require(name);
    await this.#store.markUninstalled(name, actor.name);
    this.#log.forPlugin(name).info("plugin uninstalled on every host", { by: actor.name, role: actor.role });
    await this.#announce([name]);
    await this.reconcile(name);
    return plugin;
  }

  async enable(name: string, actor: Actor): Promise<OperationResult> {
    const plugin = this.#require(name);
    const missing = Object.keys(plugin.manifest.dependencies).filter((d) => this.#plugins.get(d)?.isDisabled ?? true);
    if (missing.length > 0) {
      throw new CorralError(ErrorCode.OPERATION_INVALID,
        `cannot enable "${name}": it depends on ${quoted(missing)}, which ${missing.length === 1 ? "is" : "are"} disabled or not installed; enable ${missing.length === 1 ? "it" : "them"} first`);
    }
    const decision = await this.#store.decision(name);
    const withIt = (await this.#store.disabledWith(name)).filter((n) => n !== name);
    if (decision?.enabled !== false && !plugin.isDisabled && withIt.length === 0) {
      return { name, message: `"${name}" is already enabled`, alsoChanged: [] };
    }
    await this.#store.setEnabled([name, ...withIt]);
    this.#log.forPlugin(name).info("plugin enabled", { by: actor.name, role: actor.role, alsoEnabled: withIt });
    await this.#announce([name, ...withIt]);
    // The plugin first, then what was disabled with it, in load order.
    await this.reconcile(name);
    for (const dependent of this.#inOrder(withIt)) await this.reconcile(dependent);
    const failed = [name, ...withIt].filter((n) => this.#plugins.get(n)?.state === "failed");
    return {
      name,
      message: `enabled "${name}"${withIt.length > 0 ? ` and the plugins disabled with it: ${quoted(withIt)}` : ""}` +
        (failed.length > 0 ? `; ${quoted(failed)} failed to start: see GET /health/plugins/<name>` : ""),
      alsoChanged: withIt,
    };
  }

  async disable(name: string, actor: Actor, options: { readonly dependents?: DependentsChoice; readonly reason?: string } = {}): Promise<OperationResult> {
    const plugin = this.#require(name);
    if (options.dependents !== undefined && options.dependents !== "disable" && options.dependents !== "keep") {
      throw new CorralError(ErrorCode.OPERATION_INVALID, `"dependents" must be "disable" or "keep", got ${JSON.stringify(options.dependents)}`);
    }
    if (plugin.isDisabled) return { name, message: `"${name}" is already disabled`, alsoChanged: [] };
    const dependents = dependentsOf(name, this.#inOrder([...this.#plugins.keys()])
      .map((n) => this.#plugins.get(n)!)
      .filter((p) => !p.isDisabled)
      .map((p) => ({ name: p.name, dependsOn: Object.keys(p.manifest.dependencies) })));
    if (dependents.length > 0 && options.dependents === undefined) {
      throw new CorralError(ErrorCode.HAS_DEPENDENTS,
        `cannot disable "${name}": enabled plugins depend on it: ${quoted(dependents)}. ` +
        `Send "dependents": "disable" to disable them too (enabling "${name}" again re-enables them), ` +
        `or "dependents": "keep" to leave them running (they may fail while "${name}" is disabled)`);
    }
    const alsoDisabled = options.dependents === "disable" ? dependents : [];
    const reason = options.reason ?? null;
    await this.#store.setDisabled([name], actor.name, reason, null);
    await this.#store.setDisabled(alsoDisabled, actor.name, `disabled with "${name}"`, name);
    this.#log.forPlugin(name).info("plugin disabled", { by: actor.name, role: actor.role, reason, alsoDisabled, kept: options.dependents === "keep" ? dependents : [] });
    await this.#announce([name, ...alsoDisabled]);
    // Dependents first (last in load order first), then the plugin itself.
    for (const dependent of this.#inOrder(alsoDisabled).reverse()) await this.reconcile(dependent);
    await this.reconcile(name);
    const kept = options.dependents === "keep" ? dependents : [];
    return {
      name,
      message: `disabled "${name}"` +
        (alsoDisabled.length > 0 ? ` and its dependents ${quoted(alsoDisabled)}` : "") +
        (kept.length > 0 ? `; kept ${quoted(kept)} running: they may fail while "${name}" is disabled` : ""),
      alsoChanged: alsoDisabled,
    };
  }

  async restart(name: string, actor: Actor): Promise<OperationResult> {
    const plugin = this.#require(name);
    if (plugin.isDisabled) throw new CorralError(ErrorCode.OPERATION_INVALID, `"${name}" is disabled; enable it instead of restarting it`);
    // Cluster-wide: the generation tells every host sharing the database (NOTIFY) to restart its own.
    const outcome = await this.#serial(name, async () => {
      const generation = await this.#store.bumpRestart(name);
      this.#restartSeen.set(name, generation);
      this.#log.forPlugin(name).info("plugin restart asked", { by: actor.name, role: actor.role, generation });
      return plugin.swap(plugin.loaded, "restart");
    });
    await this.#announce([name]);
    if (!outcome.ok) {
      throw new CorralError(ErrorCode.PLUGIN_UNAVAILABLE,
        `the new process of "${name}" did not become ready on this host, so the running one keeps serving: ${outcome.error}. ` +
        `Other hosts sharing the database restart theirs too (see their /health lastSwap)`);
    }
    return { name, message: `restarted "${name}": a new process serves it; other hosts sharing the database restart theirs too`, alsoChanged: [] };
  }

  /** Re-reads a plugin's folder and swaps to it (development mode's hot reload). */
  async reload(name: string): Promise<void> {
    const plugin = this.#plugins.get(name);
    const folder = this.#folders.get(name);
    if (plugin === undefined || folder === undefined || plugin.isDisabled) return;
    // Only a plugin served from its folder follows the folder; an installed version is fixed.
    if (plugin.dir !== folder.dir) return;
    await this.#serial(name, async () => {
      let loaded: LoadedManifest;
      try {
        loaded = await loadManifest(folder.dir);
      } catch (error) {
        this.#log.forPlugin(name).error("reload failed; the running process keeps serving", { error: (error as Error).message });
        return;
      }
      if (loaded.manifest.name !== name) {
        this.#log.forPlugin(name).error("reload refused: the folder now declares another name; restart the host to rename a plugin", { now: loaded.manifest.name });
        return;
      }
      const outcome = await plugin.swap(loaded, "reload");
      if (outcome.ok) {
        this.#folders.set(name, loaded);
        await this.#store.recordFolderVersion(loaded.manifest);
        void this.#learnMigrations(plugin);
      }
    });
  }

  async versions(name: string): Promise<readonly InstalledVersion[]> {
    const active = this.#plugins.get(name)?.version ?? (await this.#store.decision(name))?.activeVersion;
    const stored = await this.#store.versions(name);
    if (stored.length === 0 && !this.#plugins.has(name)) throw notInstalled(name);
    return stored
      .sort((a, b) => (semver.valid(a.version) && semver.valid(b.version) ? semver.rcompare(a.version, b.version) : a.version < b.version ? 1 : -1))
      .map((v) => ({ version: v.version, active: v.version === active, installedAt: v.installedAt, source: v.source, migrations: v.migrations }));
  }

  async install(path: string, actor: Actor): Promise<OperationResult & { readonly version: string }> {
    if (typeof path !== "string" || !path.startsWith("/")) {
      throw new CorralError(ErrorCode.OPERATION_INVALID, `"path" must be an absolute folder path on the host, got ${JSON.stringify(path)}`);
    }
    const loaded = await loadManifest(path);
    const { name, version } = loaded.manifest;
    this.#options.factory().grants(loaded); // refused now if the policy would refuse it later
    const files = await readVersionFiles(loaded.dir, this.#options.installLimits ?? DEFAULT_INSTALL_LIMITS);
    await this.#store.storeInstalled(loaded.manifest, files);
    this.#log.forPlugin(name).info("version installed", { version, from: loaded.dir, files: files.length, by: actor.name, role: actor.role });
    await this.#announce([name]);
    return {
      name, version, alsoChanged: [],
      message: `installed "${name}" ${version} (${files.length} files); activate it with POST /admin/plugins/${name}/activate {"version":"${version}"}`,
    };
  }

  async activate(name: string, version: string, actor: Actor, options: { readonly undoMigrations?: boolean } = {}): Promise<OperationResult> {
    if (typeof version !== "string" || version === "") {
      throw new CorralError(ErrorCode.OPERATION_INVALID, `"version" must be the version to activate, e.g. "1.2.0"`);
    }
    const target = await this.#store.version(name, version);
    if (target === undefined) {
      const known = (await this.#store.versions(name)).map((v) => v.version);
      if (known.length === 0 && !this.#plugins.has(name)) throw notInstalled(name);
      throw new CorralError(ErrorCode.OPERATION_INVALID,
        `"${name}" has no installed version ${version}; installed: ${known.join(", ") || "none"}. Install it first: POST /admin/plugins/install`);
    }
    const plugin = this.#plugins.get(name);
    if (plugin !== undefined && plugin.version === version && (await this.#store.decision(name))?.activeVersion === version) {
      return { name, message: `"${name}" ${version} is already active`, alsoChanged: [] };
    }
    this.#log.forPlugin(name).info("activating version", { version, from: plugin?.version, by: actor.name, role: actor.role });
    if (plugin === undefined || plugin.isDisabled) {
      // Nothing runs here: the decision is recorded, and the version starts when the plugin does.
      await this.#store.setActive(name, version);
      await this.#announce([name]);
      await this.reconcile(name);
      const now = this.#plugins.get(name);
      if (now !== undefined && !now.isDisabled && now.version !== version) {
        throw new CorralError(ErrorCode.PLUGIN_UNAVAILABLE,
          `"${name}" ${version} did not become ready: ${now.health().lastSwap?.error ?? now.health().failure ?? "see the host log"}`);
      }
      return { name, message: `activated "${name}" ${version}${now?.isDisabled ? " (the plugin is disabled: it runs once enabled)" : ""}`, alsoChanged: [] };
    }
    // Switched here first; the decision is written (and other hosts follow) only once it serves.
    // In the plugin's queue, so a reconcile (a NOTIFY) cannot run between the switch and the write.
    await this.#serial(name, async () => {
      await this.#switchVersion(plugin, target, options.undoMigrations === true);
      await this.#store.setActive(name, version);
    });
    await this.#announce([name]);
    void this.#learnMigrations(plugin);
    return { name, message: `activated "${name}" ${version}`, alsoChanged: [] };
  }

  /**
   * Swaps `plugin` to the stored version `target`, refusing (or, with `undo`, first undoing) the
   * applied migrations it lacks. Its migrations are known once a host ran it; a version never run
   * is tried: its process checks before migrating and refuses, naming what it lacks and what it
   * defines (schemas/migration-gap.ts), which is recorded, and nothing has changed.
   *
   * @throws {CorralError} MIGRATIONS_MISSING, PLUGIN_UNAVAILABLE (it did not become ready; the running version keeps serving).
   */
  async #switchVersion(plugin: ManagedPlugin, target: StoredVersion, undo: boolean): Promise<void> {
    const { name } = plugin;
    const { version } = target;
    const loaded = await this.#copyOf(name, version);
    if (loaded === undefined) {
      throw new CorralError(ErrorCode.OPERATION_INVALID, `"${name}" ${version} is not available on this host (a folder version of another host); install it: POST /admin/plugins/install`);
    }
    let undone: readonly string[] = [];
    if (target.manifest.database && target.migrations !== null) {
      const gap = await this.#migrationGap(plugin, target.migrations);
      if (gap.missing.length > 0) {
        if (!undo) throw missingMigrations(name, version, gap.missing, false);
        undone = await this.#undo(plugin, gap);
      }
    }
    let outcome = await plugin.swap(loaded, "activate");
    const learnt = outcome.ok ? undefined : parseMigrationGap(outcome.error);
    if (learnt !== undefined && target.migrations === null) {
      await this.#store.recordMigrations(name, version, learnt.defined);
      this.#log.forPlugin(name).info("learnt the migrations of a version never run before, from its refusal to start", { version, migrations: learnt.defined });
      if (!undo) throw missingMigrations(name, version, learnt.missing, true);
      const applied = ((await plugin.migrate("status")) as { applied?: string[] }).applied ?? [];
      undone = await this.#undo(plugin, { applied, missing: applied.filter((m) => !learnt.defined.includes(m)) });
      outcome = await plugin.swap(loaded, "activate");
    }
    if (!outcome.ok) {
      // The running version must find its schema as it left it.
      const restored = undone.length > 0 ? await this.#reapply(plugin) : "";
      throw new CorralError(ErrorCode.PLUGIN_UNAVAILABLE,
        `"${name}" ${version} did not become ready, so ${plugin.version} keeps serving: ${outcome.error}${restored}`);
    }
  }

  /** Re-applies the running version's migrations after an undo whose switch failed; says how it went. */
  async #reapply(plugin: ManagedPlugin): Promise<string> {
    try {
      await plugin.migrate("latest");
      return `; the migrations undone for it were applied again by ${plugin.version} (their data is lost)`;
    } catch (error) {
      return `; re-applying the undone migrations with ${plugin.version} failed too: ${(error as Error).message}`;
    }
  }

  // ---- reconciling with the database -------------------------------------------------------

  /**
   * Brings this host's deployment of `name` in line with the database: enabled or not, and the
   * active version. Called after this host's own operations and on every NOTIFY from others.
   */
  reconcile(name: string): Promise<void> {
    return this.#serial(name, async () => {
      if (this.#options.isStopping()) return;
      const decision = await this.#store.decision(name);
      const plugin = this.#plugins.get(name);
      if (decision === undefined) return;
      if (decision.uninstalled !== null) {
        this.#folders.delete(name);
        if (plugin === undefined) return;
        this.#plugins.delete(name);
        await this.#options.removed?.(plugin);
        this.#log.forPlugin(name).info("plugin removed from this host: uninstalled", { by: decision.uninstalled.by });
        return;
      }
      // In this host's folder but not loaded: refused or blocked here; a host restart decides again.
      if (plugin === undefined && this.#folders.has(name)) return;
      const log = this.#log.forPlugin(name);
      if (!decision.enabled) {
        if (plugin !== undefined && !plugin.isDisabled) {
          await plugin.disable(disabledInfo(decision));
          this.#options.events.disabled(plugin, decision.disabledReason ?? undefined);
          log.info("plugin stopped: disabled", { by: decision.disabledBy });
        }
        return;
      }
      const loaded = await this.#desired(name, decision);
      if (loaded === undefined) {
        if (plugin === undefined) return;
        log.warn("the active version is not available on this host; keeping what runs", { active: decision.activeVersion });
        return;
      }
      // A new process (started, re-enabled or switched below) reflects every restart asked so far.
      const restartDue = decision.restartGeneration > (this.#restartSeen.get(name) ?? 0);
      this.#restartSeen.set(name, decision.restartGeneration);
      if (plugin === undefined) {
        // Installed through another host, never in this host's plugins folder.
        const created = this.#managed(loaded);
        this.#plugins.set(name, created);
        this.#order.push(name);
        this.#options.events.enabled(created);
        await created.deploy(loaded);
        await created.start();
        this.#options.added?.(created);
        void this.#learnMigrations(created);
        return;
      }
      if (plugin.isDisabled) {
        this.#options.events.enabled(plugin);
        await plugin.deploy(loaded);
        await plugin.start();
        void this.#learnMigrations(plugin);
        return;
      }
      if (plugin.version !== loaded.manifest.version || plugin.dir !== loaded.dir) {
        const kind: SwapRecord["kind"] = "activate";
        const outcome = await plugin.swap(loaded, kind);
        if (outcome.ok) void this.#learnMigrations(plugin);
        return;
      }
      if (restartDue) {
        log.info("restarting: asked on another host", { generation: decision.restartGeneration });
        await plugin.swap(plugin.loaded, "restart");
      }
    });
  }

  /** Reconciles every plugin (after the NOTIFY connection was lost, nothing may have been missed). */
  async reconcileAll(): Promise<void> {
    const names = new Set([...this.#plugins.keys(), ...(await this.#store.decisions()).map((d) => d.name)]);
    for (const name of this.#inOrder([...names])) {
      await this.reconcile(name).catch((error: unknown) =>
        this.#log.forPlugin(name).error("could not apply the database's decisions", { error: (error as Error).message }));
    }
  }

  /** Records the migration names of a running version (for later version checks). */
  async #learnMigrations(plugin: ManagedPlugin): Promise<void> {
    if (!plugin.manifest.database || plugin.state !== "ready") return;
    try {
      const report = await plugin.migrate("status") as { applied?: string[]; pending?: string[] };
      await this.#store.recordMigrations(plugin.name, plugin.version, [...(report.applied ?? []), ...(report.pending ?? [])]);
    } catch (error) {
      this.#log.forPlugin(plugin.name).warn("could not record the version's migrations", { error: (error as Error).message });
    }
  }

  /** After the first start: what each ready plugin's migrations are. */
  learnAllMigrations(): Promise<void> {
    return Promise.all([...this.#plugins.values()].map((p) => this.#learnMigrations(p))).then(() => undefined);
  }

  async #migrationGap(plugin: ManagedPlugin, targetMigrations: readonly string[]): Promise<MigrationGap> {
    let applied: readonly string[];
    try {
      applied = ((await plugin.migrate("status")) as { applied?: string[] }).applied ?? [];
    } catch (error) {
      throw new CorralError(ErrorCode.OPERATION_INVALID,
        `cannot check "${plugin.name}"'s applied migrations: ${(error as Error).message}`);
    }
    return { applied, missing: applied.filter((m) => !targetMigrations.includes(m)) };
  }

  /**
   * Runs the active version's down() for each migration the target lacks, newest first.
   *
   * @returns the migrations undone.
   * @throws {CorralError} MIGRATIONS_MISSING naming the migration that could not be undone (e.g. it
   *   has no down()) and those undone before it, which the running version then applies again.
   */
  async #undo(plugin: ManagedPlugin, gap: MigrationGap): Promise<readonly string[]> {
    const suffix = gap.applied.slice(gap.applied.length - gap.missing.length);
    if (suffix.some((m, i) => m !== gap.missing[i])) {
      throw new CorralError(ErrorCode.MIGRATIONS_MISSING,
        `cannot undo ${quoted(gap.missing)} of "${plugin.name}": they are not the last applied migrations (${quoted(gap.applied)}); only the newest can be undone`);
    }
    const undone: string[] = [];
    for (const migration of [...gap.missing].reverse()) {
      try {
        await plugin.migrate("down");
      } catch (error) {
        const restored = undone.length > 0 ? await this.#reapply(plugin) : "";
        throw new CorralError(ErrorCode.MIGRATIONS_MISSING,
          `could not undo migration "${migration}" of "${plugin.name}": ${(error as Error).message}. ` +
          `Undone before it: ${undone.length > 0 ? quoted(undone) : "none"}${restored}; nothing was activated, ${plugin.version} keeps serving`);
      }
      undone.push(migration);
      this.#log.forPlugin(plugin.name).warn("migration undone for a version switch", { migration });
    }
    return undone;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** The copy of `name` the database says should run here: the folder, or an installed version's files. */
  async #desired(name: string, decision: PluginDecision | undefined): Promise<LoadedManifest | undefined> {
    const version = decision?.activeVersion ?? null;
    if (version === null) return this.#folders.get(name);
    return this.#copyOf(name, version);
  }

  /** Version `version` of `name` on this host: its folder, or an installed version's files; undefined when neither. */
  async #copyOf(name: string, version: string): Promise<LoadedManifest | undefined> {
    const folder = this.#folders.get(name);
    if (folder?.manifest.version === version) return folder;
    const stored = await this.#store.version(name, version);
    if (stored?.source !== "installed") return undefined;
    return this.#materialize(name, version);
  }

  /** Writes an installed version's files into `<dataDir>/versions/<name>/<version>/` (unless already there) and loads it. */
  async #materialize(name: string, version: string): Promise<LoadedManifest> {
    const dir = join(this.#options.dataDir, "versions", name, version);
    const files = await this.#store.files(name, version);
    const digest = sha256(Buffer.from(files.map((f) => `${f.path}\0${f.sha256}`).join("\n")));
    const marker = join(dir, ".corral-files");
    const present = await readFile(marker, "utf8").catch(() => "");
    if (present !== digest) {
      await writeVersionFiles(dir, [...files, { path: ".corral-files", sha256: sha256(Buffer.from(digest)), content: Buffer.from(digest) }]);
    }
    const loaded = await loadManifest(dir);
    if (loaded.manifest.name !== name || loaded.manifest.version !== version) {
      throw new CorralError(ErrorCode.MANIFEST_INVALID, `${loaded.file}: declares ${loaded.manifest.name} ${loaded.manifest.version}, stored as ${name} ${version}`);
    }
    return loaded;
  }

  #managed(loaded: LoadedManifest): ManagedPlugin {
    return new ManagedPlugin({
      loaded,
      factory: this.#options.factory(),
      hooks: this.#options.hooks,
      log: this.#log.forPlugin(loaded.manifest.name),
      drainMs: this.#options.drainMs ?? 30_000,
      stopDeadlineMs: this.#options.stopDeadlineMs ?? 5000,
    });
  }

  #require(name: string): ManagedPlugin {
    if (typeof name !== "string") throw notInstalled(String(name));
    const plugin = this.#plugins.get(name);
    if (plugin === undefined) throw notInstalled(name);
    return plugin;
  }

  async #announce(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.#store.notify(name).catch((error: unknown) =>
        this.#log.warn("could not notify other hosts; they catch up when they reconnect or restart", { plugin: name, error: (error as Error).message }));
    }
  }

  #inOrder(names: readonly string[]): string[] {
    const position = (n: string) => {
      const index = this.#order.indexOf(n);
      return index === -1 ? Number.MAX_SAFE_INTEGER : index;
    };
    return [...names].sort((a, b) => position(a) - position(b) || (a < b ? -1 : 1));
  }

  #serial<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    const tail = next.catch(() => undefined);
    this.#queues.set(name, tail);
    void tail.then(() => {
      if (this.#queues.get(name) === tail) this.#queues.delete(name);
    });
    return next;
  }
}

function disabledInfo(decision: PluginDecision): { by: string; reason: string | null; at: string; with: string | null } {
  return { by: decision.disabledBy ?? "unknown", reason: decision.disabledReason, at: decision.disabledAt ?? new Date().toISOString(), with: decision.disabledWith };
}

function missingMigrations(name: string, version: string, missing: readonly string[], learntNow: boolean): CorralError {
  return new CorralError(ErrorCode.MIGRATIONS_MISSING,
    `cannot activate "${name}" ${version}: the database has migrations applied that ${version} does not have: ${quoted(missing)}` +
    (learntNow ? ` (${version} had never run, so its process was started to learn its migrations; it refused before migrating, nothing changed)` : "") +
    `. The running version keeps serving. Send "undoMigrations": true to run their down() with the running version first (their data is lost), ` +
    `or activate a version that has them`);
}

function notInstalled(name: string): CorralError {
  return new CorralError(ErrorCode.PLUGIN_NOT_FOUND, `no plugin named "${name}" is installed`);
}
