/**
 * Development mode's watcher: every folder of a plugin watched on its own (not one recursive
 * fs.watch), and a burst of changes (an editor saving several files) becomes one reload after
 * the plugin has been quiet for `debounceMs`.
 *
 * Why a watcher per folder: Node 20's recursive fs.watch on Linux watches each file it found, so
 * a file replaced by rename (an editor's atomic save: vim, sed -i, "safe write") is never seen
 * again after its first save. A folder's own watch reports the rename and every later write.
 */
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Logger } from "../logger.ts";

export interface DevWatcherOptions {
  readonly log: Logger;
  readonly onChange: (name: string) => void;
  readonly debounceMs?: number;
}

/** Changes that are never code: editors' swap files, VCS folders. */
const IGNORED = /(^|\/)(\.git|node_modules)(\/|$)|(\.swp|~|\.tmp)$/;

/** One plugin's watch: a watcher per folder, by path. */
interface PluginWatch {
  readonly root: string;
  readonly folders: Map<string, FSWatcher>;
}

export class DevWatcher {
  readonly #options: DevWatcherOptions;
  readonly #plugins = new Map<string, PluginWatch>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(options: DevWatcherOptions) {
    this.#options = options;
  }

  /** Watches `dir` for the plugin `name` (a second call for the name replaces the first). */
  watch(name: string, dir: string): void {
    this.#unwatch(name);
    const tree: PluginWatch = { root: dir, folders: new Map() };
    this.#plugins.set(name, tree);
    if (!this.#watchFolder(name, tree, dir)) return;
    void this.#watchNewFolders(name, tree).then(() => {
      this.#options.log.forPlugin(name).info("development mode: watching the plugin folder", { dir, folders: tree.folders.size });
    });
  }

  close(): void {
    for (const name of [...this.#plugins.keys()]) this.#unwatch(name);
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #unwatch(name: string): void {
    for (const watcher of this.#plugins.get(name)?.folders.values() ?? []) watcher.close();
    this.#plugins.delete(name);
  }

  /** Starts watching one folder; false (and a warning) when it cannot be watched. */
  #watchFolder(name: string, tree: PluginWatch, folder: string): boolean {
    try {
      const watcher = watch(folder, (_event, file) => {
        const path = relative(tree.root, join(folder, file === null ? "" : String(file)));
        if (IGNORED.test(path)) return;
        this.#changed(name, tree, path);
      });
      watcher.on("error", () => {
        // The folder was removed (or moved away): stop watching it; its parent reported the change.
        watcher.close();
        tree.folders.delete(folder);
      });
      tree.folders.set(folder, watcher);
      return true;
    } catch (error) {
      this.#options.log.forPlugin(name).warn("cannot watch the plugin folder; reload it with POST /admin/plugins/<name>/restart", { dir: folder, error: (error as Error).message });
      return false;
    }
  }

  /** Watches the folders below the root that are not watched yet (new ones appear with a change). */
  async #watchNewFolders(name: string, tree: PluginWatch): Promise<void> {
    let entries;
    try {
      entries = await readdir(tree.root, { recursive: true, withFileTypes: true });
    } catch {
      return; // the root went away; its watcher reports that
    }
    if (this.#plugins.get(name) !== tree) return; // replaced or closed meanwhile
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const folder = join(entry.parentPath, entry.name);
      if (!tree.folders.has(folder) && !IGNORED.test(relative(tree.root, folder))) this.#watchFolder(name, tree, folder);
    }
  }

  #changed(name: string, tree: PluginWatch, file: string): void {
    clearTimeout(this.#timers.get(name));
    this.#timers.set(name, setTimeout(() => {
      this.#timers.delete(name);
      if (this.#plugins.get(name) !== tree) return;
      void this.#watchNewFolders(name, tree);
      this.#options.log.forPlugin(name).info("plugin folder changed; reloading", { file });
      this.#options.onChange(name);
    }, this.#options.debounceMs ?? 150));
  }
}
