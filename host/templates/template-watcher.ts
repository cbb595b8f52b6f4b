/**
 * Watches template folders and reports which template paths changed, so compiled templates can
 * be dropped (docs/decisions.md D13-templates: `fs.watch` costs nothing while idle and reports in
 * ~1 ms; polling mtimes of 1000 files costs 10-25 ms of CPU per sweep). Events are gathered for
 * a short while, since one save is often several events (write, rename, change).
 */
import { watch, type FSWatcher } from "node:fs";
import { stat } from "node:fs/promises";
import { sep } from "node:path";
import type { Logger } from "../logger.ts";

/** What changed under a watched folder: template paths ("a/b.hbs"), or "all" when unsure. */
export type TemplateChange = readonly string[] | "all";

const DEFAULT_SETTLE_MS = 30;

export class TemplateWatcher {
  readonly #log: Logger;
  readonly #settleMs: number;
  readonly #watchers = new Set<FSWatcher>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(log: Logger, settleMs = DEFAULT_SETTLE_MS) {
    this.#log = log;
    this.#settleMs = settleMs;
  }

  /**
   * Watches `dir` and everything below it. Resolves false when `dir` is not a folder (nothing to
   * watch: a folder created later is not seen until the host restarts).
   */
  async watch(dir: string, onChange: (change: TemplateChange) => void): Promise<boolean> {
    if (this.#closed) return false;
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir || this.#closed) return false;
    let pending: Set<string> | "all" | undefined;
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      this.#timers.delete(timer!);
      timer = undefined;
      const change = pending === "all" ? "all" : [...pending!];
      pending = undefined;
      try {
        onChange(change);
      } catch (error) {
        this.#log.error("template change handler failed", { dir, error: (error as Error).message });
      }
    };
    const note = (filename: string | null) => {
      const path = filename?.split(sep).join("/");
      // Hidden files (editors' swap and temporary files) are never templates.
      if (path !== undefined && path.split("/").some((segment) => segment.startsWith("."))) return;
      // A folder renamed or removed, or an event without a name: every path below may have changed.
      if (path === undefined || !path.endsWith(".hbs")) pending = "all";
      else if (pending !== "all") {
        pending ??= new Set();
        pending.add(path);
      }
      if (timer === undefined) {
        timer = setTimeout(flush, this.#settleMs);
        this.#timers.add(timer);
      }
    };
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { recursive: true, persistent: false }, (_event, filename) => note(filename));
    } catch (error) {
      this.#log.warn("template folder not watched: changes need a restart", { dir, error: (error as Error).message });
      return false;
    }
    watcher.on("error", (error) => {
      this.#log.warn("template folder no longer watched: changes need a restart", { dir, error: error.message });
      watcher.close();
      this.#watchers.delete(watcher);
      note(null);
    });
    this.#watchers.add(watcher);
    return true;
  }

  /** Stops every watcher; pending changes are dropped. */
  close(): void {
    this.#closed = true;
    for (const watcher of this.#watchers) watcher.close();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#watchers.clear();
    this.#timers.clear();
  }
}
