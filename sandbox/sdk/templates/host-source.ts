/**
 * Template sources served by the host: `templates.get` (the host resolves its overrides, then the
 * plugin's own `templates/` folder, and refuses unsafe paths) and `static.urls`. The plugin needs
 * no read grant for its templates.
 *
 * @module
 */

import type { HostServices } from "../_plugin-internals.ts";
import type { TemplateFile, TemplateSource } from "./types.ts";

/** The host's template service for plugin `name`. */
export function hostTemplateSource(host: HostServices, name: string): TemplateSource {
  return {
    async get(path) {
      const file = await host.call("templates.get", { path });
      if (file === null) return null;
      const { source, version } = file as Partial<TemplateFile>;
      if (typeof source !== "string") throw new TypeError(`the host answered templates.get for "${path}" without a source`);
      return { source, version: String(version ?? "") };
    },
    async staticUrls() {
      const urls = await host.call("static.urls", null);
      return typeof urls === "object" && urls !== null ? urls as Record<string, string> : {};
    },
    describeMissing(path) {
      return `add templates/${path} to the plugin's folder, or put an override in the host's templates folder at plugins/${name}/${path}`;
    },
  };
}
