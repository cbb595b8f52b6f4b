/**
 * The host's side of templates, wired together: the `templates.get` and `static.urls` services,
 * the error pages, and the watchers that tell a plugin (`templates.invalidate`) and the error
 * pages when a template file changes.
 */
import { join } from "node:path";
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { Logger } from "../logger.ts";
import type { ServiceRegistry } from "../services/registry.ts";
import { ErrorPages, type ErrorResponder } from "./error-pages.ts";
import { plainStaticUrls, registerTemplateServices, type StaticUrlProvider } from "./template-service.ts";
import { type TemplateChange, TemplateWatcher } from "./template-watcher.ts";

/** What the templates feature needs of a plugin: a supervisor is one. */
export interface TemplatePlugin {
  readonly name: string;
  readonly dir: string;
  call(method: string, payload: unknown, timeoutMs: number): Promise<unknown>;
}

export interface HostTemplatesOptions {
  /** The operator's templates folder (`CORRAL_TEMPLATES_DIR`); missing or undefined: no overrides. */
  readonly templatesDir: string | undefined;
  readonly services: ServiceRegistry;
  readonly log: Logger;
  /** An installed plugin by name. */
  readonly plugin: (name: string) => TemplatePlugin | undefined;
  /** URLs of plugins' static files for `{{static_url}}` (the static catalog); default: plain URLs. */
  readonly staticUrls?: StaticUrlProvider;
  /** Where the shipped error pages are (tests). */
  readonly shippedDir?: string;
}

export interface HostTemplates {
  /** Answers host errors: HTML pages for browsers, JSON for the rest. */
  readonly errorPage: ErrorResponder;
  /** Starts watching the host's folder and these plugins' `templates/` folders. */
  watch(plugins: readonly string[]): Promise<void>;
  /**
   * Makes plugin `name` drop its compiled templates (`"all"` also drops its static URLs: call it
   * when its static catalog changes). Resolves whether or not the plugin was reachable.
   */
  invalidate(name: string, change?: TemplateChange): Promise<void>;
  close(): void;
}

/** How long the host waits for a plugin to drop its cache. */
const INVALIDATE_TIMEOUT_MS = 5000;

export function createHostTemplates(options: HostTemplatesOptions): HostTemplates {
  const { templatesDir, log } = options;
  const pluginDir = (name: string) => options.plugin(name)?.dir;
  registerTemplateServices(options.services, { templatesDir, pluginDir, staticUrls: options.staticUrls ?? plainStaticUrls });
  const pages = new ErrorPages({ templatesDir, pluginDir, log, ...(options.shippedDir === undefined ? {} : { shippedDir: options.shippedDir }) });
  const watcher = new TemplateWatcher(log);
  const watched: string[] = [];

  const invalidate = async (name: string, change: TemplateChange = "all"): Promise<void> => {
    const plugin = options.plugin(name);
    if (plugin === undefined) return;
    try {
      await plugin.call("templates.invalidate", change === "all" ? { all: true } : { paths: change }, INVALIDATE_TIMEOUT_MS);
    } catch (error) {
      // A plugin that is not running starts with an empty cache anyway.
      if (error instanceof CorralError && error.code === ErrorCode.PLUGIN_UNAVAILABLE) return;
      log.forPlugin(name).warn("could not tell the plugin that its templates changed", { error: (error as Error).message });
    }
  };

  return {
    errorPage: pages.respond,
    async watch(plugins) {
      if (templatesDir !== undefined) {
        if (await watcher.watch(templatesDir, (change) => onHostChange(change, plugins))) watched.push(templatesDir);
      }
      for (const name of plugins) {
        const dir = pluginDir(name);
        if (dir === undefined) continue;
        const folder = join(dir, "templates");
        const ok = await watcher.watch(folder, (change) => {
          if (change === "all" || change.some((path) => path.startsWith("errors/"))) pages.invalidate();
          void invalidate(name, change);
        });
        if (ok) watched.push(folder);
      }
      log.debug("watching template folders", { folders: watched });
    },
    invalidate,
    close: () => watcher.close(),
  };

  /** A change under the host's folder: `plugins/<name>/...` is that plugin's, `errors/...` the pages'. */
  function onHostChange(change: TemplateChange, plugins: readonly string[]): void {
    pages.invalidate();
    if (change === "all") {
      for (const name of plugins) void invalidate(name, "all");
      return;
    }
    const byPlugin = new Map<string, string[]>();
    for (const path of change) {
      const match = /^plugins\/([^/]+)\/(.+)$/.exec(path);
      if (match === null) continue;
      const [, name, rest] = match;
      if (!byPlugin.has(name!)) byPlugin.set(name!, []);
      byPlugin.get(name!)!.push(rest!);
    }
    for (const [name, paths] of byPlugin) void invalidate(name, paths);
  }
}
