/**
 * The host services of the templates feature: `templates.get` serves a plugin its own template
 * sources (the host's override first, then the plugin's `templates/`), so the plugin needs no
 * read grant; `static.urls` gives it the URLs of its static files for `{{static_url}}`.
 */
import { CorralError, ErrorCode } from "../../schemas/errors.ts";
import type { ServiceRegistry } from "../services/registry.ts";
import { readTemplateFile } from "./template-file.ts";
import { pluginTemplateRoots } from "./template-roots.ts";

/**
 * The URLs of a plugin's static files by path inside `static/` ("app.css" ->
 * "/plugins/notes/static/app.3f2a9c.css"). A path it leaves out gets the plain
 * "/plugins/<name>/static/<path>" from the SDK.
 */
export type StaticUrlProvider = (plugin: { readonly name: string; readonly dir: string | undefined }) =>
  Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>;

/** No fingerprinting: every static file keeps its plain URL. */
export const plainStaticUrls: StaticUrlProvider = () => ({});

export interface TemplateServiceOptions {
  /** The operator's templates folder (overrides), or undefined for none. */
  readonly templatesDir: string | undefined;
  /** The folder of an installed plugin. */
  readonly pluginDir: (name: string) => string | undefined;
  readonly staticUrls: StaticUrlProvider;
}

/** Registers `templates.get` and `static.urls` on `services`. */
export function registerTemplateServices(services: ServiceRegistry, options: TemplateServiceOptions): void {
  services.register("templates.get", async (caller, payload) => {
    const path = (payload as { path?: unknown } | null)?.path;
    if (typeof path !== "string") {
      throw new CorralError(ErrorCode.CALL_FAILED, `templates.get expects { path: "<path inside templates/>.hbs" }, got ${JSON.stringify(payload)}`);
    }
    for (const root of pluginTemplateRoots(options.templatesDir, caller.name, options.pluginDir(caller.name))) {
      const file = await readTemplateFile(root.dir, path);
      if (file !== null) return { ...file, origin: root.origin };
    }
    return null;
  });
  services.register("static.urls", async (caller) => {
    const urls = await options.staticUrls({ name: caller.name, dir: options.pluginDir(caller.name) });
    return { ...urls };
  });
}
