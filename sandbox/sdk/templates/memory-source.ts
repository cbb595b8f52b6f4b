/**
 * Template sources for `testPlugin()`: templates given in memory (path -> source), or read from
 * a folder (the plugin's own `templates/`, which needs `--allow-read` in the test).
 *
 * @module
 */

import { templatePathOf } from "../../../schemas/template-path.ts";
import type { TemplateSource } from "./types.ts";

/**
 * Templates for `testPlugin()`: sources by path inside `templates/` (`"layouts/base.hbs"`, the
 * `.hbs` may be left out), or the URL of a folder to read them from.
 *
 * @example
 * ```ts
 * import type { TestTemplates } from "@corral/sdk/testing";
 *
 * const inMemory: TestTemplates = { "home": "<h1>{{title}}</h1>" };
 * const fromDisk: TestTemplates = new URL("./templates/", import.meta.url);
 * ```
 */
export type TestTemplates = Readonly<Record<string, string>> | URL;

/** A source that serves `templates` and `staticUrls`, as the host would. */
export function memoryTemplateSource(templates: TestTemplates = {}, staticUrls: Readonly<Record<string, string>> = {}): TemplateSource {
  if (templates instanceof URL) return folderSource(templates, staticUrls);
  const files = new Map<string, string>();
  for (const [name, source] of Object.entries(templates)) {
    const path = templatePathOf(name);
    if (path === undefined) throw new TypeError(`testPlugin({ templates }): ${JSON.stringify(name)} is not a path inside templates/`);
    if (typeof source !== "string") throw new TypeError(`testPlugin({ templates }): the source of "${path}" must be a string`);
    files.set(path, source);
  }
  return {
    get: (path) => Promise.resolve(files.has(path) ? { source: files.get(path)!, version: "" } : null),
    staticUrls: () => Promise.resolve(staticUrls),
    describeMissing: (path) => `testPlugin() was given no "${path}" in its templates option`,
  };
}

function folderSource(folder: URL, staticUrls: Readonly<Record<string, string>>): TemplateSource {
  const base = folder.href.endsWith("/") ? folder : new URL(`${folder.href}/`);
  return {
    async get(path) {
      try {
        return { source: await Deno.readTextFile(new URL(path, base)), version: "" };
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return null;
        throw error;
      }
    },
    staticUrls: () => Promise.resolve(staticUrls),
    describeMissing: (path) => `there is no ${new URL(path, base).pathname}`,
  };
}
