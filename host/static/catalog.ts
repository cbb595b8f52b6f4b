/**
 * The static files of every loaded plugin: where they live (host overrides, compiled assets, the
 * plugin's static/ folder), their fingerprinted URLs for `static_url()`, and the lookup the HTTP
 * handler serves from. The public face of host/static/.
 *
 * Change detection: a file is stat()ed on every request and on every `urlFor` call, and hashed
 * again when its inode, size or mtime changed, so what is served and `urlFor` are always
 * current. The whole map of `urlsFor` is cached and rebuilt after `fs.watch` reports a change
 * in one of the plugin's folders; `onChange` listeners hear about it then.
 */
import { existsSync, readdirSync, realpathSync, watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { join, relative, sep } from "node:path";
import type { Logger } from "../logger.ts";
import type { LoadedManifest } from "../manifest/manifest.ts";
import { buildAssets } from "./build-assets.ts";
import { BodyCache } from "./compression.ts";
import { ContentHashes } from "./content-hash.ts";
import { fingerprintPath } from "./fingerprint.ts";
import { findFile, isInside } from "./lookup.ts";
import type { FoundFile, StaticRoot } from "./lookup.ts";
import { resolveRelativePath } from "./resolve-path.ts";
import type { StaticPathOk } from "./resolve-path.ts";

export interface StaticCatalogOptions {
  /** The host's data folder: compiled assets go to `<dataDir>/assets/<plugin>/`. */
  readonly dataDir: string;
  /** The host's override folder: `<staticDir>/plugins/<name>/<path>` wins over the plugin's file. Missing: no overrides. */
  readonly staticDir?: string | undefined;
  /** Folders an asset bundle may include besides the plugin's own (the project's node_modules). */
  readonly readableRoots?: readonly string[];
  readonly log: Logger;
  /** Bound on the memory of cached bodies (files as stored, gzip, brotli). Default 32 MiB. */
  readonly bodyCacheBytes?: number;
}

/** What a request for a static path comes to. */
export type StaticLookup =
  | { readonly kind: "file"; readonly file: FoundFile; readonly hash: string; readonly immutable: boolean }
  /**
   * `reason` is for the log (it may name real paths); `hint` is safe to tell the client.
   * `refused`: something exists there that must not be served (a symlink out, say).
   */
  | { readonly kind: "missing"; readonly reason: string; readonly hint?: string; readonly refused?: boolean };

/** The outcome of compiling one plugin's `assets`. */
export interface AssetStatus {
  /** Output paths relative to /plugins/<name>/static/, like "app.js". */
  readonly outputs: readonly string[];
  /** The build error, when the build failed (its assets are then not served). */
  readonly error?: string;
}

interface PluginStatics {
  readonly name: string;
  /** Highest precedence first. */
  readonly roots: readonly StaticRoot[];
  readonly watchers: FSWatcher[];
  assets: AssetStatus;
  urls?: Readonly<Record<string, string>>;
}

/** Most files listed by `urlsFor` for one plugin; a bigger tree is cut there, with a warning. */
const MAX_LISTED_FILES = 10_000;
/** fs.watch reports a save as several events; listeners hear once per burst. */
const CHANGE_DEBOUNCE_MS = 50;

export class StaticCatalog {
  readonly #options: StaticCatalogOptions;
  readonly #log: Logger;
  readonly #plugins = new Map<string, PluginStatics>();
  readonly #listeners = new Set<(plugin: string) => void>();
  readonly #pendingChanges = new Map<string, NodeJS.Timeout>();
  readonly #hashes = new ContentHashes();
  readonly #overrideWatcher: FSWatcher | undefined;
  /** The override folder's real path; undefined when it does not exist. */
  readonly #staticDir: string | undefined;
  /** Bodies of file versions (as stored, gzip, brotli), shared by all plugins. */
  readonly bodies: BodyCache;

  constructor(options: StaticCatalogOptions) {
    this.#options = options;
    this.#log = options.log;
    this.bodies = new BodyCache(options.bodyCacheBytes ?? 32 * 1024 * 1024);
    this.#staticDir = options.staticDir !== undefined && existsSync(options.staticDir) ? realpathSync(options.staticDir) : undefined;
    if (this.#staticDir !== undefined) {
      const overrides = join(this.#staticDir, "plugins");
      this.#overrideWatcher = this.#watch(this.#staticDir, (file) => {
        // "plugins/<name>/…" relative to the override folder.
        const parts = file.split(sep);
        if (parts[0] === "plugins" && parts[1] !== undefined) this.#changed(parts[1]);
      }, `host static folder ${overrides}`);
    }
  }

  /**
   * Registers a loaded plugin: its static/ folder, its host overrides, and its `assets`, compiled
   * now. Never throws; a build error is logged (naming the plugin, the file and esbuild's
   * message) and leaves the plugin without compiled assets, but it still starts.
   */
  async add(loaded: LoadedManifest): Promise<AssetStatus> {
    const name = loaded.manifest.name;
    this.remove(name);
    const log = this.#log.forPlugin(name);
    const outDir = join(this.#options.dataDir, "assets", name);
    const built = await buildAssets({
      plugin: name,
      dir: loaded.dir,
      manifestFile: loaded.file,
      entries: loaded.manifest.assets,
      outDir,
      readableRoots: this.#options.readableRoots ?? [],
    });
    let assets: AssetStatus;
    if (built.ok) {
      assets = { outputs: built.outputs };
      for (const warning of built.warnings) log.warn("asset build warning", { warning });
      if (built.outputs.length > 0) log.info("assets built", { outputs: built.outputs });
    } else {
      assets = { outputs: [], error: built.error.message };
      log.error("asset build failed; the plugin runs without its compiled assets", { code: built.error.code, error: built.error.message });
    }
    const roots: StaticRoot[] = [];
    if (this.#staticDir !== undefined) roots.push({ kind: "override", dir: join(this.#staticDir, "plugins", name) });
    if (built.ok && built.outputs.length > 0) roots.push({ kind: "asset", dir: realpathSync(outDir) });
    const own = this.#pluginStaticRoot(loaded, log);
    if (own !== undefined) roots.push(own);
    const record: PluginStatics = { name, roots, watchers: [], assets };
    if (own !== undefined && existsSync(own.dir)) {
      const watcher = this.#watch(own.dir, () => this.#changed(name), `${name}'s static folder`);
      if (watcher !== undefined) record.watchers.push(watcher);
    }
    this.#plugins.set(name, record);
    // Hash every file now, off the event loop, so the first urlsFor (synchronous) finds them known.
    void this.#warm(record).catch((error: unknown) => log.warn("could not hash the static files ahead", { error: (error as Error).message }));
    for (const output of assets.outputs) {
      const shadowed = findFile(roots.filter((r) => r.kind === "plugin"), output.split(sep));
      if (shadowed.kind === "found") log.warn("a compiled asset hides a file of static/ with the same path", { path: output });
    }
    return assets;
  }

  /** Forgets a plugin (uninstalled): its URLs answer 404 from now on. */
  remove(name: string): void {
    const record = this.#plugins.get(name);
    if (record === undefined) return;
    for (const watcher of record.watchers) watcher.close();
    for (const root of record.roots) if (root.kind !== "override") this.#hashes.forget(root.dir + sep);
    this.#plugins.delete(name);
  }

  has(name: string): boolean {
    return this.#plugins.has(name);
  }

  /** What compiling the plugin's `assets` produced, or undefined for an unknown plugin. */
  assets(name: string): AssetStatus | undefined {
    return this.#plugins.get(name)?.assets;
  }

  /**
   * The URL of one of the plugin's static files, fingerprinted with its content hash:
   * `urlFor("notes", "style.css")` -> "/plugins/notes/static/style.3f2a9c1b.css". A compiled
   * asset goes by its output name ("assets/app.ts" -> "app.js"). A path with no servable file
   * gets its plain URL (which answers 404), so a page with a missing asset still renders.
   *
   * @throws RangeError for a plugin the catalog does not know.
   */
  urlFor(plugin: string, path: string): string {
    const record = this.#record(plugin);
    const checked = resolveRelativePath(path);
    if (!checked.ok) return plainUrl(plugin, path.replace(/^\/+/, "").split("/"));
    const found = findFile(record.roots, checked.segments);
    if (found.kind !== "found") return plainUrl(plugin, checked.segments);
    return this.#fingerprintedUrl(plugin, checked.path, found.file);
  }

  /**
   * Every servable file of the plugin, by path relative to its static URL, mapped to its
   * fingerprinted URL: `{ "style.css": "/plugins/notes/static/style.3f2a9c1b.css", "app.js": … }`.
   * Dotfiles, the manifest and symlinks that leave their folder are not listed; files behind a
   * symlinked folder are served and have a `urlFor`, but are not listed here. Frozen; cached until
   * a watched folder changes.
   *
   * @throws RangeError for a plugin the catalog does not know.
   */
  urlsFor(plugin: string): Readonly<Record<string, string>> {
    const record = this.#record(plugin);
    record.urls ??= this.#list(record);
    return record.urls;
  }

  /** Calls `listener(plugin)` after a plugin's static files changed (then `urlsFor` has the new URLs). */
  onChange(listener: (plugin: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The file a checked request path comes to, for the HTTP handler. Undefined: unknown plugin. */
  async lookup(plugin: string, path: StaticPathOk): Promise<StaticLookup | undefined> {
    const record = this.#plugins.get(plugin);
    if (record === undefined) return undefined;
    const exact = findFile(record.roots, path.segments);
    if (exact.kind === "found") {
      return { kind: "file", file: exact.file, hash: await this.#hashes.of(exact.file.realPath, exact.file.stats), immutable: false };
    }
    if (exact.kind === "refused") return { kind: "missing", reason: exact.reason, refused: true };
    if (path.fingerprint === undefined) return { kind: "missing", reason: "no such file" };
    // "plugin.3f2a9c1b.json" names the manifest: check the original path like any other.
    const original = resolveRelativePath(path.fingerprint.path);
    if (!original.ok) return { kind: "missing", reason: original.reason };
    const found = findFile(record.roots, original.segments);
    if (found.kind === "refused") return { kind: "missing", reason: found.reason, refused: true };
    if (found.kind === "missing") return { kind: "missing", reason: "no such file" };
    const hash = await this.#hashes.of(found.file.realPath, found.file.stats);
    if (!hash.startsWith(path.fingerprint.hash)) {
      // Never the current bytes under an old hash: that URL is cached as immutable for a year.
      const hint = `the fingerprint ${path.fingerprint.hash} is stale; the file's current URL is ${this.#fingerprintedUrl(plugin, original.path, found.file, hash)}`;
      return { kind: "missing", reason: hint, hint };
    }
    return { kind: "file", file: found.file, hash, immutable: true };
  }

  /** Stops watching folders. */
  close(): void {
    this.#overrideWatcher?.close();
    for (const name of [...this.#plugins.keys()]) this.remove(name);
    for (const timer of this.#pendingChanges.values()) clearTimeout(timer);
    this.#pendingChanges.clear();
  }

  #record(plugin: string): PluginStatics {
    const record = this.#plugins.get(plugin);
    if (record === undefined) throw new RangeError(`no plugin named ${JSON.stringify(plugin)} has static files registered; known: ${[...this.#plugins.keys()].join(", ") || "none"}`);
    return record;
  }

  #fingerprintedUrl(plugin: string, path: string, file: FoundFile, hash = this.#hashes.ofSync(file.realPath, file.stats)): string {
    return plainUrl(plugin, fingerprintPath(path, hash).split("/"));
  }

  /** `<plugin>/static` when it is a folder strictly inside the plugin (a `static` symlink to `.` or out is refused). */
  #pluginStaticRoot(loaded: LoadedManifest, log: Logger): StaticRoot | undefined {
    const lexical = join(loaded.dir, "static");
    if (!existsSync(lexical)) return { kind: "plugin", dir: lexical };
    const real = realpathSync(lexical);
    const rel = relative(loaded.dir, real);
    if (rel === "" || !isInside(loaded.dir, real) || rel.split(sep).some((part) => part.startsWith("."))) {
      log.error("static folder refused: it must be a folder inside the plugin folder, not a dot-folder", { static: lexical, resolvesTo: real });
      return undefined;
    }
    return { kind: "plugin", dir: real };
  }

  #list(record: PluginStatics): Readonly<Record<string, string>> {
    const paths = new Set<string>();
    for (const root of record.roots) walk(root.dir, "", paths);
    if (paths.size > MAX_LISTED_FILES) {
      this.#log.forPlugin(record.name).warn(`more than ${MAX_LISTED_FILES} static files; urlsFor lists the first ${MAX_LISTED_FILES}`);
    }
    const urls: Record<string, string> = {};
    for (const path of [...paths].sort().slice(0, MAX_LISTED_FILES)) {
      const checked = resolveRelativePath(path);
      if (!checked.ok) continue;
      const found = findFile(record.roots, checked.segments);
      if (found.kind === "found") urls[checked.path] = this.#fingerprintedUrl(record.name, checked.path, found.file);
    }
    return Object.freeze(urls);
  }

  async #warm(record: PluginStatics): Promise<void> {
    const paths = new Set<string>();
    for (const root of record.roots) walk(root.dir, "", paths);
    for (const path of paths) {
      if (this.#plugins.get(record.name) !== record) return; // removed meanwhile
      const checked = resolveRelativePath(path);
      if (!checked.ok) continue;
      const found = findFile(record.roots, checked.segments);
      if (found.kind === "found") await this.#hashes.of(found.file.realPath, found.file.stats);
    }
  }

  #watch(dir: string, onEvent: (file: string) => void, what: string): FSWatcher | undefined {
    try {
      const watcher = watch(dir, { recursive: true, persistent: false }, (_event, file) => onEvent(String(file ?? "")));
      watcher.on("error", (error) => this.#log.warn(`stopped watching ${what} for changes; restart the host to see new files in urlsFor`, { dir, error: error.message }));
      return watcher;
    } catch (error) {
      this.#log.warn(`cannot watch ${what} for changes; restart the host to see new files in urlsFor`, { dir, error: (error as Error).message });
      return undefined;
    }
  }

  #changed(name: string): void {
    const record = this.#plugins.get(name);
    if (record === undefined) return;
    record.urls = undefined;
    if (this.#pendingChanges.has(name)) return;
    const timer = setTimeout(() => {
      this.#pendingChanges.delete(name);
      for (const listener of this.#listeners) {
        try {
          listener(name);
        } catch (error) {
          this.#log.error("a static-files change listener threw", { plugin: name, error: (error as Error).message });
        }
      }
    }, CHANGE_DEBOUNCE_MS);
    timer.unref();
    this.#pendingChanges.set(name, timer);
  }
}

/** "/plugins/<name>/static/<segments, percent-encoded>". */
function plainUrl(plugin: string, segments: readonly string[]): string {
  return `/plugins/${plugin}/static/${segments.map(encodeURIComponent).join("/")}`;
}

/** Adds the relative paths of the files under `dir` (not dot entries, not through symlinked folders). */
function walk(dir: string, prefix: string, into: Set<string>): void {
  if (into.size > MAX_LISTED_FILES) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) walk(join(dir, entry.name), path, into);
    else if (entry.isFile() || entry.isSymbolicLink()) into.add(path);
  }
}

/** Where an `assets` entry is served: "assets/app.ts" -> "app.js" (see build-assets.ts). */
export { assetOutputPath } from "./build-assets.ts";
