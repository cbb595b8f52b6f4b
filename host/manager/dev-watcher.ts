/**
 * Development mode's watcher: one recursive fs.watch per plugin folder; a burst of changes
 * (an editor saving several files) becomes one reload after the folder has been quiet for
 * `debounceMs`.
 */
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import type { Logger } from "../logger.ts";

export interface DevWatcherOptions {
  readonly log: Logger;
  readonly onChange: (name: string) => void;
  readonly debounceMs?: number;
}

/** Changes that are never code: editors' swap files, VCS folders. */
const IGNORED = /(^|\/)(\.git|node_modules)(\/|$)|(\.swp|~|\.tmp)$/;

export class DevWatcher {
  readonly #options: DevWatcherOptions;
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(options: DevWatcherOptions) {
    this.#options = options;
  }

  /** Watches `dir` for the plugin `name` (a second call for the name replaces the first). */
  watch(name: string, dir: string): void {
    this.#watchers.get(name)?.close();
    try {
      const watcher = watch(dir, { recursive: true }, (_event, file) => {
        if (file !== null && IGNORED.test(String(file))) return;
        clearTimeout(this.#timers.get(name));
        this.#timers.set(name, setTimeout(() => {
          this.#timers.delete(name);
          this.#options.log.forPlugin(name).info("plugin folder changed; reloading", { file: file === null ? null : String(file) });
          this.#options.onChange(name);
        }, this.#options.debounceMs ?? 150));
      });
      watcher.on("error", (error) => this.#options.log.forPlugin(name).warn("stopped watching the plugin folder", { dir, error: error.message }));
      this.#watchers.set(name, watcher);
      this.#options.log.forPlugin(name).info("development mode: watching the plugin folder", { dir });
    } catch (error) {
      this.#options.log.forPlugin(name).warn("cannot watch the plugin folder; reload it with POST /admin/plugins/<name>/restart", { dir, error: (error as Error).message });
    }
  }

  close(): void {
    for (const watcher of this.#watchers.values()) watcher.close();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#watchers.clear();
    this.#timers.clear();
  }
}
